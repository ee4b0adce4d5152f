// libFuzzer target: the HTTP request path of the assembled server (domovoy::Homeserver).
// One server is started lazily (loopback, port 0, temporary data directory, no rate limits).
// Each input is written raw to a fresh TCP connection whose write side is then shut down; the
// answer is read until the server closes or 2 s pass. Invariants:
//   - whatever comes back starts with "HTTP/1.1 ", and no answer is a 5xx (an exception escaped a
//     handler; with pipelined requests every answer counts);
//   - nothing comes back only when the input is not a complete, well-formed HTTP request head
//     (or the server reset the connection while the input was still being written); a well-formed
//     head with bad framing headers gets an answer too (RFC 9112 6.3); no answer within 2 s is a
//     failure (except for /sync, which long-polls);
//   - after every input, a fresh GET /_matrix/client/versions answers 200 (the server survives)
//     and the fuzz user's incremental /sync answers 200 (nothing an input stored broke it).
// Inputs reach authenticated handlers through placeholders: @@TOKEN@@, @@USER@@ and @@ROOM@@
// become the access token and user id of a user registered at start, and a room it created.
// Environment: DOMOVOY_FUZZ_HTTP_VERBOSE=1 prints each exchange. DOMOVOY_FUZZ_HTTP_LENIENT=1
// tolerates 5xx answers, silence on well-formed heads with bad framing headers, and HTTP/1.0
// status lines for HTTP/1.0 requests (FINDINGS.md F4, F5: what the server did before those fixes).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "app/homeserver.hpp"
#include "homeserver/fuzz/fuzz_common.hpp"

namespace {

domovoy::Homeserver* g_server = nullptr;
unsigned short g_port = 0;
std::string g_data_dir;
bool g_verbose = false;
bool g_fail_on_5xx = false;
bool g_strict = false;

void stop_server() {
  delete g_server;  // stops and joins the server threads before static destructors run
  g_server = nullptr;
  std::error_code ec;
  if (!g_data_dir.empty()) std::filesystem::remove_all(g_data_dir, ec);
}

void new_session();

void start_server() {
  if (g_server) return;
  auto pattern = (std::filesystem::temp_directory_path() / "domovoy-fuzz-http-XXXXXX").string();
  if (!mkdtemp(pattern.data())) domovoy::fuzz::fail("mkdtemp failed");
  g_data_dir = pattern;
  domovoy::Config config;
  config.server_name = "fuzz.localhost";
  config.listen_address = "127.0.0.1";
  config.listen_port = 0;
  config.data_dir = g_data_dir;
  config.rate_limits_enabled = false;
  config.password_ops_limit = 1;
  config.password_mem_limit_mb = 8;
  config.blocking_threads = 4;
  config.network_threads = 1;
  config.sync_writes = false;  // fsync per write only slows the fuzzer down
  config.block_cache_mb = 8;
  config.log_level = "critical";
  g_server = new domovoy::Homeserver(config);
  g_port = g_server->listen();
  g_server->start_background();
  std::atexit(stop_server);
  new_session();
}

struct Exchange {
  std::string response;
  bool reset = false;      // the server reset the connection (e.g. it closed with input unread)
  bool timed_out = false;  // no close within the receive timeout
};

int connect_to_server() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) domovoy::fuzz::fail("socket() failed");
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(g_port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0; ++attempt) {
    if (attempt == 50) {
      std::fprintf(stderr, "connect: %s\n", std::strerror(errno));
      domovoy::fuzz::fail("cannot connect to the server");
    }
    usleep(10000);
  }
  return fd;
}

Exchange exchange(std::string_view request) {
  Exchange result;
  int fd = connect_to_server();
  std::size_t sent = 0;
  while (sent < request.size()) {
    auto n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) result.timed_out = true;
      else result.reset = true;  // EPIPE / ECONNRESET: the server already closed
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  char buffer[16384];
  while (true) {
    auto n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      result.response.append(buffer, static_cast<std::size_t>(n));
      if (result.response.size() > (64u << 20)) domovoy::fuzz::fail("response larger than 64 MiB");
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) result.timed_out = true;
    else result.reset = true;
    break;
  }
  close(fd);
  return result;
}

// A user of the fuzzed server, so that inputs reach authenticated handlers: in an input,
// @@TOKEN@@, @@USER@@ and @@ROOM@@ become its access token, user id and a room it created.
struct Session {
  std::string user_id, token, room_id, since;
  int generation = 0;
};
Session g_session;

// Answers carry client JSON (up to 64 deep) inside their own structure; Boost's default is 32.
boost::json::parse_options deep_options() {
  boost::json::parse_options options;
  options.max_depth = 1024;
  return options;
}

std::string body_of(const std::string& response) {
  auto start = response.find("\r\n\r\n");
  return start == std::string::npos ? std::string{} : response.substr(start + 4);
}

boost::json::object json_answer(const Exchange& result, const char* what) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body_of(result.response), ec, {}, deep_options());
  if (ec || !value.is_object() || result.response.rfind("HTTP/1.1 200 ", 0) != 0) {
    std::fprintf(stderr, "%s answered: %.*s\n", what, static_cast<int>(std::min<std::size_t>(result.response.size(), 300)),
                 result.response.data());
    domovoy::fuzz::fail("the fuzz session could not be set up");
  }
  return std::move(value.as_object());
}

std::string post_json(const std::string& path, const std::string& body, const std::string& token = {}) {
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nContent-Type: application/json\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return request;
}

// Registers a fresh user and creates a room for it (again whenever an input logged it out or
// deactivated it).
void new_session() {
  ++g_session.generation;
  auto name = "fuzzer" + std::to_string(g_session.generation);
  auto registered = json_answer(
      exchange(post_json("/_matrix/client/v3/register",
                         "{\"username\":\"" + name + "\",\"password\":\"fuzz password 1234\",\"auth\":{\"type\":\"m.login.dummy\"}}")),
      "register");
  g_session.user_id = std::string(registered.at("user_id").as_string());
  g_session.token = std::string(registered.at("access_token").as_string());
  auto room = json_answer(exchange(post_json("/_matrix/client/v3/createRoom", "{\"name\":\"fuzz\"}", g_session.token)),
                          "createRoom");
  g_session.room_id = std::string(room.at("room_id").as_string());
  g_session.since.clear();
}

std::string substitute(std::string_view input) {
  std::string out(input);
  auto replace_all = [&out](std::string_view from, const std::string& to) {
    for (auto at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size())) out.replace(at, from.size(), to);
  };
  replace_all("@@TOKEN@@", g_session.token);
  replace_all("@@USER@@", g_session.user_id);
  replace_all("@@ROOM@@", g_session.room_id);
  return out;
}

bool is_tchar(unsigned char c) {
  // (strchr would also find the terminating NUL: test c first.)
  return c != 0 && (std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}
bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}
std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// What the input's request head is, judged by RFC 9112 with conservative rules (a subset of what
// Beast accepts, so that "well_formed" really deserves an answer).
struct Head {
  bool well_formed = false;     // complete request line and header block, plain syntax
  bool plain_framing = false;   // and nothing unusual in Content-Length/Transfer-Encoding/Connection
  std::string version;          // the last word of the first line, well formed or not
};

Head judge_head(std::string_view input) {
  Head head;
  {
    auto line = input.substr(0, input.find('\n'));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto space = line.rfind(' ');
    if (space != std::string_view::npos) head.version = std::string(line.substr(space + 1));
  }
  auto end = input.find("\r\n\r\n");
  if (end == std::string_view::npos || end > 8000) return head;
  auto block = input.substr(0, end + 2);  // every line ends in CRLF
  auto line_end = block.find("\r\n");
  auto request_line = block.substr(0, line_end);
  auto first_space = request_line.find(' ');
  auto last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) return head;
  auto method = request_line.substr(0, first_space);
  auto target = request_line.substr(first_space + 1, last_space - first_space - 1);
  auto version = request_line.substr(last_space + 1);
  if (!is_token(method) || target.empty() || (version != "HTTP/1.1" && version != "HTTP/1.0")) return head;
  if (!std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) return head;
  int content_lengths = 0, transfer_encodings = 0;
  bool framing_ok = true;
  for (auto rest = block.substr(line_end + 2); !rest.empty();) {
    auto eol = rest.find("\r\n");
    auto line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return head;  // also obs-fold
    auto value = line.substr(colon + 1);
    if (!std::all_of(value.begin(), value.end(), [](char c) { return c == ' ' || c == '\t' || (c > 0x20 && c < 0x7f); }))
      return head;
    auto name = lower(line.substr(0, colon));
    value = trim(value);
    if (name == "content-length") {
      ++content_lengths;
      framing_ok &= !value.empty() && value.size() <= 15 &&
                    std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    } else if (name == "transfer-encoding") {
      ++transfer_encodings;
      framing_ok &= lower(value) == "chunked";
    } else if (name == "connection" || name == "proxy-connection") {
      framing_ok &= std::all_of(value.begin(), value.end(), [](char c) {
        return c == ',' || c == ' ' || is_tchar(static_cast<unsigned char>(c));
      });
    }
  }
  framing_ok &= content_lengths <= 1 && transfer_encodings <= 1 && content_lengths + transfer_encodings <= 1;
  head.well_formed = true;
  head.plain_framing = framing_ok;
  return head;
}

// Walks the answers (several for pipelined requests) by their Content-Length; true when one is 5xx.
bool any_5xx(std::string_view response) {
  std::size_t at = 0;
  while (response.substr(at).rfind("HTTP/1.", 0) == 0 && response.size() >= at + 12) {
    if (response[at + 9] == '5') return true;
    auto head_end = response.find("\r\n\r\n", at);
    if (head_end == std::string_view::npos) break;
    auto head = lower(response.substr(at, head_end - at));
    auto field = head.find("\r\ncontent-length:");
    std::size_t length = field == std::string::npos ? 0 : std::strtoull(head.c_str() + field + 17, nullptr, 10);
    at = head_end + 4 + length;
  }
  return false;
}

void check_answer(std::string_view input, const Exchange& result) {
  if (g_verbose)
    std::fprintf(stderr, "--- %zu bytes in, %zu bytes out%s%s: %.*s\n", input.size(), result.response.size(),
                 result.reset ? " (reset)" : "", result.timed_out ? " (timeout)" : "",
                 static_cast<int>(std::min<std::size_t>(result.response.size(), 120)), result.response.data());
  const auto& response = result.response;
  auto head = judge_head(input);
  if (response.empty()) {
    // /sync long-polls (up to its timeout parameter); everything else answers at once.
    if (result.timed_out && input.find("/sync") == std::string_view::npos) domovoy::fuzz::fail("no answer within 2 s");
    if (result.reset) return;
    // Closing without a word is acceptable for what is not HTTP (also a truncated head). A
    // complete, well-formed request deserves an answer; with odd framing headers RFC 9112 6.3
    // asks for a 400 too (FINDINGS.md F4; not checked when lenient).
    if (head.well_formed && (head.plain_framing || g_strict))
      domovoy::fuzz::fail("a well-formed request got no answer");
    return;
  }
  if (response.rfind("HTTP/1.1 ", 0) == 0) {
    if (g_fail_on_5xx && any_5xx(response)) domovoy::fuzz::fail("5xx answer");
    return;
  }
  // HTTP/1.0 answering an HTTP/1.0 request is tolerated only when lenient (RFC 9110 6.2: a server
  // SHOULD send its own highest version, 1.1; FINDINGS.md F5).
  if (!g_strict && response.rfind("HTTP/1.0 ", 0) == 0 && head.version == "HTTP/1.0") return;
  std::fprintf(stderr, "answer begins: %.*s\n", static_cast<int>(std::min<std::size_t>(response.size(), 80)),
               response.data());
  domovoy::fuzz::fail("the answer does not start with \"HTTP/1.1 \"");
}

void check_alive() {
  auto health = exchange("GET /_matrix/client/versions HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");
  if (health.response.rfind("HTTP/1.1 200 ", 0) != 0) {
    std::fprintf(stderr, "health check answer: %.*s\n",
                 static_cast<int>(std::min<std::size_t>(health.response.size(), 200)), health.response.data());
    domovoy::fuzz::fail("the server no longer answers GET /_matrix/client/versions with 200");
  }
  // The fuzz user's incremental sync must keep working, whatever the input stored for it.
  std::string target = "/_matrix/client/v3/sync?timeout=0";
  if (!g_session.since.empty()) target += "&since=" + g_session.since;
  auto sync = exchange("GET " + target + " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nAuthorization: Bearer " +
                       g_session.token + "\r\n\r\n");
  if (sync.response.rfind("HTTP/1.1 401 ", 0) == 0) {  // the input logged out or deactivated the user
    new_session();
    return;
  }
  if (sync.response.rfind("HTTP/1.1 200 ", 0) != 0) {
    std::fprintf(stderr, "sync answer: %.*s\n", static_cast<int>(std::min<std::size_t>(sync.response.size(), 300)),
                 sync.response.data());
    domovoy::fuzz::fail("the fuzz user's /sync no longer answers 200");
  }
  boost::system::error_code ec;
  auto body = boost::json::parse(body_of(sync.response), ec, {}, deep_options());
  if (ec || !body.is_object() || !body.as_object().contains("next_batch") || !body.at("next_batch").is_string())
    domovoy::fuzz::fail("/sync answered 200 without next_batch");
  g_session.since = std::string(body.at("next_batch").as_string());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) domovoy::fuzz::fail("libsodium failed to initialise");
  g_verbose = std::getenv("DOMOVOY_FUZZ_HTTP_VERBOSE") != nullptr;
  const bool lenient = std::getenv("DOMOVOY_FUZZ_HTTP_LENIENT") != nullptr;
  g_fail_on_5xx = !lenient;
  g_strict = !lenient;
  spdlog::set_level(g_verbose ? spdlog::level::debug : spdlog::level::critical);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  start_server();
  auto input = substitute(std::string_view(reinterpret_cast<const char*>(data), size));
  check_answer(input, exchange(input));
  check_alive();
  return 0;
}
