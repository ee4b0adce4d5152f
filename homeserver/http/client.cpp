#include "homeserver/http/client.hpp"

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <cctype>
#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "homeserver/core/case_fold.hpp"

namespace domovoy::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const char* to_string(ClientError error) {
  switch (error) {
    case ClientError::none:
      return "none";
    case ClientError::invalid_request:
      return "invalid_request";
    case ClientError::connection_failed:
      return "connection_failed";
    case ClientError::timeout:
      return "timeout";
    case ClientError::invalid_response:
      return "invalid_response";
    case ClientError::address_denied:
      return "address_denied";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

// Where a URL points, split the way the connection and the request line need it.
const std::string kLocalhost = "localhost";

// RFC 6761 §6.3: "localhost." and names under it are the loopback addresses, never a DNS query.
bool is_localhost_name(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  auto lower = ascii_lower(host);
  return lower == "localhost" || (lower.size() > 10 && lower.ends_with(".localhost"));
}

struct Target {
  bool tls = false;
  std::string host;  // to resolve and verify: no brackets around an IPv6 address
  std::string port;
  std::string host_header;  // host[:port] as written in the URL
  std::string path;         // path and query, at least "/"
  std::string connect_host;  // what to resolve and connect to: host unless the request says otherwise
  std::string connect_port;
  std::string pool_key;     // connections are reused between requests with the same key
};

std::optional<Target> parse_target(const std::string& url, std::string& why) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    why = "'" + url + "' is not a URL: " + parsed.error().message();
    return std::nullopt;
  }
  Target target;
  auto scheme = parsed->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    why = "'" + url + "' is not an http:// or https:// URL";
    return std::nullopt;
  }
  target.tls = scheme == boost::urls::scheme::https;
  if (parsed->encoded_host().empty() || parsed->host_type() == boost::urls::host_type::ipvfuture) {
    why = "'" + url + "' has no host this client can connect to";
    return std::nullopt;
  }
  if (parsed->has_userinfo()) {
    why = "'" + url + "' holds credentials, which this client does not send";
    return std::nullopt;
  }
  target.host = parsed->host_address();
  target.port = parsed->has_port() && !parsed->port().empty() ? std::string(parsed->port()) : target.tls ? "443" : "80";
  target.host_header = std::string(parsed->encoded_host());
  if (parsed->has_port() && !parsed->port().empty()) target.host_header += ":" + target.port;
  target.path = std::string(parsed->encoded_path());
  if (target.path.empty()) target.path = "/";
  if (parsed->has_query()) target.path += "?" + std::string(parsed->encoded_query());
  target.connect_host = target.host;
  target.connect_port = target.port;
  target.pool_key = (target.tls ? "https://" : "http://") + target.host_header;
  return target;
}

// One connection, plain or TLS. Its sockets belong to the client's executor rather than to the
// strand of the request that opened it, so that a later request on another strand can reuse it;
// every completion runs on the awaiting coroutine's strand anyway.
struct Connection {
  explicit Connection(const asio::any_io_executor& executor) : plain(std::in_place, executor) {}
  Connection(const asio::any_io_executor& executor, ssl::context& context) : tls(std::in_place, executor, context) {}

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  Clock::time_point idle_since;
};

// Whether an idle connection can carry another request: the peer has neither closed it (a read
// would return 0) nor sent anything unasked (a TLS close_notify, say). A peek that would block is
// the healthy answer.
bool looks_reusable(Connection& connection) {
  auto& socket = connection.socket();
  if (!socket.is_open()) return false;
  char byte;
  auto received = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// What the deadline may have to interrupt. Shared with the timer's handler, which runs on the
// request's strand, so the handler and the request never run at the same time.
struct Deadline {
  explicit Deadline(const asio::any_io_executor& strand) : timer(strand), resolver(strand) {}

  asio::steady_timer timer;
  tcp::resolver resolver;
  Connection* connection = nullptr;  // the one in use, if any
  bool expired = false;
  bool finished = false;  // set before the connection may go back to the pool

  void arm(const std::shared_ptr<Deadline>& self, std::chrono::milliseconds timeout) {
    timer.expires_after(timeout);
    timer.async_wait([self](error_code ec) {
      if (ec || self->finished) return;
      self->expired = true;
      self->resolver.cancel();
      // Closing the socket makes whatever operation is pending on it (connect, TLS, write,
      // read) complete at once with an error.
      if (self->connection) self->connection->socket().close(ec);
    });
  }

  void finish() {
    finished = true;
    connection = nullptr;
    timer.cancel();
  }
};

bool is_field_text(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

ClientResponse failure(ClientError error, std::string message) {
  ClientResponse response;
  response.error = error;
  response.message = std::move(message);
  return response;
}

template <typename Stream>
asio::awaitable<error_code> exchange(Stream& stream, const bhttp::request<bhttp::string_body>& message,
                                     beast::flat_buffer& buffer, bhttp::response_parser<bhttp::string_body>& parser) {
  error_code ec;
  co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ec;
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

}  // namespace

struct HttpClient::Impl {
  Impl(asio::any_io_executor executor_in, ClientOptions options_in)
      : executor(std::move(executor_in)), options(std::move(options_in)), tls(options.tls) {
    if (!tls) {
      tls = std::make_shared<ssl::context>(ssl::context::tls_client);
      tls->set_default_verify_paths();
      tls->set_verify_mode(ssl::verify_peer);
      // TLS 1.0 and 1.1 are deprecated (RFC 8996); Debian's OpenSSL refuses them too.
      SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    }
  }

  asio::any_io_executor executor;
  ClientOptions options;
  std::shared_ptr<ssl::context> tls;
  mutable std::mutex mutex;  // guards idle
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    std::lock_guard lock(mutex);
    auto found = idle.find(key);
    if (found == idle.end()) return nullptr;
    auto& list = found->second;
    auto oldest_allowed = Clock::now() - options.max_idle_age;
    // Most recently used last: it is the likeliest to be still open at the other end.
    while (!list.empty()) {
      auto connection = std::move(list.back());
      list.pop_back();
      if (connection->idle_since >= oldest_allowed && looks_reusable(*connection)) return connection;
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex);
    auto& list = idle[key];
    auto oldest_allowed = Clock::now() - options.max_idle_age;
    std::erase_if(list, [&](const auto& held) { return held->idle_since < oldest_allowed; });
    if (list.size() >= options.max_idle_per_host) return;  // dropped: closes it
    connection->idle_since = Clock::now();
    list.push_back(std::move(connection));
  }

  // Resolves, connects and (for https) handshakes. On failure, returns nullptr and sets `error`.
  asio::awaitable<std::unique_ptr<Connection>> open(Deadline& deadline, const Target& target, ClientResponse& error) {
    auto connection = co_await establish(deadline, target, error);
    // The deadline must not reach for a connection that is about to be destroyed.
    if (!connection) deadline.connection = nullptr;
    co_return connection;
  }

  asio::awaitable<std::unique_ptr<Connection>> establish(Deadline& deadline, const Target& target,
                                                         ClientResponse& error) {
    error_code ec;
    const std::string& name = is_localhost_name(target.connect_host) ? kLocalhost : target.connect_host;
    auto endpoints = co_await deadline.resolver.async_resolve(name, target.connect_port,
                                                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = failure(ClientError::connection_failed, "cannot resolve " + target.connect_host + ": " + ec.message());
      co_return nullptr;
    }
    std::vector<tcp::endpoint> allowed;
    for (const auto& entry : endpoints)
      if (!options.allow_address || options.allow_address(entry.endpoint().address()))
        allowed.push_back(entry.endpoint());
    if (allowed.empty()) {
      error = failure(ClientError::address_denied,
                      target.connect_host + " resolves to no address this server may connect to");
      co_return nullptr;
    }
    auto connection =
        target.tls ? std::make_unique<Connection>(executor, *tls) : std::make_unique<Connection>(executor);
    deadline.connection = connection.get();
    co_await asio::async_connect(connection->socket(), allowed, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = failure(ClientError::connection_failed, "cannot connect to " + target.host_header + ": " + ec.message());
      co_return nullptr;
    }
    connection->socket().set_option(tcp::no_delay(true), ec);
    if (target.tls) {
      error_code not_an_address;
      asio::ip::make_address(target.host, not_an_address);
      // SNI carries host names only (RFC 6066 §3).
      if (not_an_address && !SSL_set_tlsext_host_name(connection->tls->native_handle(), target.host.c_str())) {
        error = failure(ClientError::connection_failed, "cannot set the TLS server name " + target.host);
        co_return nullptr;
      }
      // Only consulted when the context verifies the peer; it checks the name (or the address)
      // in the certificate once the chain has been verified.
      connection->tls->set_verify_callback(ssl::host_name_verification(target.host));
      co_await connection->tls->async_handshake(ssl::stream_base::client,
                                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        error = failure(ClientError::connection_failed, "TLS with " + target.host_header + " failed: " + ec.message());
        co_return nullptr;
      }
    }
    co_return connection;
  }

  static ClientResponse read_failure(error_code ec, bool got_some, const ClientOptions& options) {
    if (ec == bhttp::error::body_limit)
      return failure(ClientError::invalid_response,
                     "response body larger than " + std::to_string(options.max_response_body_bytes) + " bytes");
    if (ec == bhttp::error::header_limit)
      return failure(ClientError::invalid_response,
                     "response headers larger than " + std::to_string(options.max_response_header_bytes) + " bytes");
    // Beast's category also holds "the stream ended", which is the peer going away, not a
    // malformed response.
    bool malformed = ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (malformed) return failure(ClientError::invalid_response, "malformed response: " + ec.message());
    return failure(ClientError::connection_failed, std::string(got_some ? "connection closed during the response: "
                                                                        : "connection closed without a response: ") +
                                                       ec.message());
  }

  // `request` is the caller's copy, which the body is moved out of.
  asio::awaitable<ClientResponse> run(ClientRequest& request) {
    std::string why;
    auto target = parse_target(request.url, why);
    if (!target) co_return failure(ClientError::invalid_request, why);
    if (!request.connect_host.empty() || !request.connect_port.empty()) {
      if (!request.connect_host.empty()) target->connect_host = request.connect_host;
      if (!request.connect_port.empty()) target->connect_port = request.connect_port;
      target->pool_key += " via " + target->connect_host + ":" + target->connect_port;
    }
    // Beast writes fields as given: a CR or LF in one would start a header, or a request, of its own.
    for (const auto& [name, value] : request.headers)
      if (name.empty() || !is_field_text(name) || !is_field_text(value))
        co_return failure(ClientError::invalid_request, "header '" + name + "' holds CR, LF or NUL, or has no name");

    bhttp::request<bhttp::string_body> message{request.method, target->path, 11};
    for (const auto& [name, value] : request.headers) message.insert(name, value);
    message.set(bhttp::field::host, target->host_header);
    message.set(bhttp::field::user_agent, options.user_agent);
    message.body() = std::move(request.body);
    message.keep_alive(options.max_idle_per_host > 0);
    message.prepare_payload();

    auto strand = co_await asio::this_coro::executor;
    auto deadline = std::make_shared<Deadline>(strand);
    deadline->arm(deadline, request.timeout);
    auto timed_out = [&] {
      return failure(ClientError::timeout, "no response from " + target->host_header + " within " +
                                               std::to_string(request.timeout.count()) + " ms");
    };

    // A second attempt only follows a kept-alive connection that turned out to be closed.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto connection = attempt == 0 ? take_idle(target->pool_key) : nullptr;
      bool reused = connection != nullptr;
      if (!connection) {
        ClientResponse error;
        connection = co_await open(*deadline, *target, error);
        if (!connection) {
          bool expired = deadline->expired;
          deadline->finish();
          co_return expired ? timed_out() : error;
        }
      }
      deadline->connection = connection.get();

      beast::flat_buffer buffer;
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(options.max_response_body_bytes);
      parser.header_limit(static_cast<std::uint32_t>(options.max_response_header_bytes));
      if (request.method == bhttp::verb::head) parser.skip(true);
      error_code ec;
      if (connection->tls)
        ec = co_await exchange(*connection->tls, message, buffer, parser);
      else
        ec = co_await exchange(*connection->plain, message, buffer, parser);
      if (ec) {
        deadline->connection = nullptr;
        bool nothing_back = !parser.got_some() && buffer.size() == 0;
        if (reused && nothing_back && !deadline->expired) continue;
        bool expired = deadline->expired;
        deadline->finish();
        co_return expired ? timed_out() : read_failure(ec, parser.got_some() || buffer.size() > 0, options);
      }
      bool expired = deadline->expired;  // too late to matter, but the socket is closed now
      deadline->finish();

      ClientResponse response;
      auto& raw = parser.get();
      response.status = raw.result_int();
      for (const auto& field : raw) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto [slot, fresh] = response.headers.emplace(name, std::string(field.value()));
        if (!fresh) slot->second += ", " + std::string(field.value());
      }
      response.reused_connection = reused;
      bool reusable = !expired && options.max_idle_per_host > 0 && raw.keep_alive() && !raw.need_eof() &&
                      parser.is_done() && buffer.size() == 0;
      response.body = std::move(raw.body());
      if (reusable) give_back(target->pool_key, std::move(connection));
      co_return response;
    }
    deadline->finish();
    co_return failure(ClientError::connection_failed, "connection to " + target->host_header + " closed");
  }
};

HttpClient::HttpClient(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() {
  // Idle sockets are closed now, while their io_context surely still exists.
  std::lock_guard lock(impl_->mutex);
  impl_->idle.clear();
}

asio::awaitable<ClientResponse> HttpClient::request(const ClientRequest& request) {
  // The copy lives in the function object, which co_spawn keeps until the request is over.
  auto task = [impl = impl_, copy = request]() mutable -> asio::awaitable<ClientResponse> {
    co_return co_await impl->run(copy);
  };
  auto strand = asio::make_strand(impl_->executor);
  co_return co_await asio::co_spawn(strand, std::move(task), asio::use_awaitable);
}

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t count = 0;
  for (const auto& [key, list] : impl_->idle) count += list.size();
  return count;
}

}  // namespace domovoy::http
