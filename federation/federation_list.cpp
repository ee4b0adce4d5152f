#include "federation/federation_list.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "federation/federation_client.hpp"
#include "federation/federation_policy.hpp"
#include "homeserver/core/case_fold.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/http/client.hpp"

namespace domovoy::federation {

namespace json = boost::json;

namespace {

constexpr std::int64_t kHourMs = 3600LL * 1000;
// After a failed refresh the source is tried again this soon, not a whole period later.
constexpr std::int64_t kRetryAfterFailureMs = kHourMs;
constexpr std::size_t kMaxListBytes = 4u << 20;

[[noreturn]] void refuse(const std::string& why) { throw FederationListError(why); }

std::int64_t integer(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (!value || !value->is_int64()) refuse(std::string(name) + " must be an integer");
  return value->get_int64();
}

bool is_server_pattern(std::string_view pattern) {
  if (pattern.starts_with("*.")) return pattern.size() > 2 && is_valid_server_name(pattern.substr(2));
  return is_valid_server_name(pattern);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Written beside, fsynced and renamed over: a crash leaves the old copy or the new, never half.
void write_durably(const std::string& path, std::string_view text) {
  auto temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + temporary);
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + temporary);
  std::filesystem::rename(temporary, path);
  auto folder = std::filesystem::path(path).parent_path().string();
  if (int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

SignedFederationList check_federation_list(std::string_view text, const std::map<std::string, std::string>& keys) {
  if (text.size() > kMaxListBytes) refuse("the list is larger than 4 MiB");
  json::value parsed;
  try {
    parsed = json::parse(text);
  } catch (const std::exception&) {
    refuse("the list is not JSON");
  }
  const auto* object = parsed.if_object();
  if (!object) refuse("the list is not a JSON object");
  SignedFederationList list;
  list.version = integer(*object, "version");
  list.issued_ts = integer(*object, "issued_ts");
  list.expires_ts = integer(*object, "expires_ts");
  if (list.version < 1) refuse("version must be at least 1");
  if (list.expires_ts <= list.issued_ts) refuse("expires_ts must be after issued_ts");
  const auto* servers = object->if_contains("servers");
  if (!servers || !servers->is_array()) refuse("servers must be an array");
  for (const auto& server : servers->get_array()) {
    if (!server.is_string() || !is_server_pattern(server.get_string()))
      refuse("servers: " + json::serialize(server) + " is neither a server name nor *.suffix");
    list.servers.push_back(ascii_lower(server.get_string()));
  }
  const auto* signatures = object->if_contains("signatures");
  if (!signatures || !signatures->is_object()) refuse("the list is not signed (no signatures)");
  for (const auto& [signer, by_key] : signatures->get_object()) {
    if (!by_key.is_object()) continue;
    for (const auto& [key_id, signature] : by_key.get_object()) {
      auto key = keys.find(std::string(key_id));
      if (key == keys.end() || !signature.is_string()) continue;
      if (verify_json_signature(*object, signer, key_id, key->second)) return list;
      refuse("the signature by " + std::string(key_id) + " does not verify");
    }
  }
  refuse("the list is not signed by any key in federation.signed_list.keys");
}

bool federation_list_current(const SignedFederationList& list, std::int64_t now_ms, std::int64_t max_age_ms) {
  return now_ms < list.expires_ts && now_ms - list.issued_ts <= max_age_ms;
}

FederationList::FederationList(const Config::Federation& config, std::string data_dir,
                               boost::asio::any_io_executor executor)
    : config_(config.signed_list),
      kept_path_((std::filesystem::path(data_dir) / "federation-list.json").string()),
      executor_(std::move(executor)) {
  if (is_url()) {
    http::ClientOptions options;
    options.tls = federation_client_tls(config);
    options.user_agent = "Domovoy federation list";
    options.max_response_body_bytes = kMaxListBytes;
    client_ = std::make_shared<http::HttpClient>(executor_, std::move(options));
  }
}

FederationList::~FederationList() { stopping_ = true; }

bool FederationList::is_url() const {
  return config_.source.starts_with("https://") || config_.source.starts_with("http://");
}

void FederationList::start() {
  if (auto kept = read_file(kept_path_)) {
    try {
      auto list = check_federation_list(*kept, config_.keys);
      std::lock_guard lock(mutex_);
      list_ = std::move(list);
    } catch (const FederationListError& error) {
      spdlog::warn("the kept federation list {} is not used: {}", kept_path_, error.what());
    }
  }
  if (!is_url()) {
    auto text = read_file(config_.source);
    if (!text) throw FederationListError("cannot read the federation list " + config_.source);
    SignedFederationList list;
    try {
      list = check_federation_list(*text, config_.keys);
    } catch (const FederationListError& error) {
      throw FederationListError("the federation list " + config_.source + ": " + error.what());
    }
    if (!federation_list_current(list, now_ms(), config_.max_age_hours * kHourMs))
      throw FederationListError("the federation list " + config_.source + " has expired or was issued more than " +
                                std::to_string(config_.max_age_hours) + " h ago: sign a new one");
    if (!offer(*text, config_.source))
      throw FederationListError("the federation list " + config_.source + " is older than the one held (version " +
                                std::to_string(list.version) + ")");
    std::lock_guard lock(mutex_);
    last_attempt_ms_ = now_ms();
  } else {
    refresh();
  }
  auto watch = [this]() -> boost::asio::awaitable<void> {
    boost::asio::steady_timer timer(executor_);
    while (!stopping_) {
      timer.expires_after(std::chrono::minutes(5));
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
      if (!stopping_) refresh_if_due();
    }
  };
  boost::asio::co_spawn(executor_, watch, boost::asio::detached);
}

bool FederationList::allows(std::string_view server_name) const {
  std::lock_guard lock(mutex_);
  if (!list_ || !federation_list_current(*list_, now_ms(), config_.max_age_hours * kHourMs)) return false;
  for (const auto& pattern : list_->servers)
    if (server_matches_pattern(pattern, server_name)) return true;
  return false;
}

std::optional<SignedFederationList> FederationList::current() const {
  std::lock_guard lock(mutex_);
  return list_;
}

bool FederationList::offer(std::string_view text, const std::string& from) {
  SignedFederationList list;
  try {
    list = check_federation_list(text, config_.keys);
  } catch (const FederationListError& error) {
    spdlog::error("the federation list from {} is refused: {}", from, error.what());
    return false;
  }
  if (!federation_list_current(list, now_ms(), config_.max_age_hours * kHourMs)) {
    spdlog::error("the federation list from {} is refused: expired or issued more than {} h ago", from,
                  config_.max_age_hours);
    return false;
  }
  std::lock_guard lock(mutex_);
  if (list_ && list.version < list_->version) {
    spdlog::error("the federation list from {} is refused: version {} is older than the held {}", from,
                  list.version, list_->version);
    return false;
  }
  bool changed = !list_ || list.version != list_->version || list.issued_ts != list_->issued_ts;
  if (changed) {
    try {
      write_durably(kept_path_, text);
    } catch (const std::exception& error) {
      spdlog::error("the federation list from {} is not kept: {}", from, error.what());
      return false;
    }
    spdlog::info("federation list version {} from {}: {} servers, expires {}", list.version, from,
                 list.servers.size(), list.expires_ts);
  }
  list_ = std::move(list);
  return true;
}

void FederationList::refresh_if_due() {
  auto now = now_ms();
  {
    std::lock_guard lock(mutex_);
    bool held_current = list_ && federation_list_current(*list_, now, config_.max_age_hours * kHourMs);
    auto period = held_current ? config_.refresh_hours * kHourMs : kRetryAfterFailureMs;
    // A moved test clock may go back; a refresh is then due too.
    if (now >= last_attempt_ms_ && now - last_attempt_ms_ < period) return;
  }
  refresh();
}

void FederationList::refresh() {
  {
    std::lock_guard lock(mutex_);
    last_attempt_ms_ = now_ms();
    if (fetching_) return;
    if (is_url()) fetching_ = true;
  }
  if (!is_url()) {
    if (auto text = read_file(config_.source)) offer(*text, config_.source);
    else spdlog::error("cannot read the federation list {}", config_.source);
    return;
  }
  auto fetch = [this]() -> boost::asio::awaitable<void> {
    http::ClientRequest request;
    request.url = config_.source;
    request.timeout = std::chrono::milliseconds(30000);
    auto response = co_await client_->request(request);
    if (response.success()) offer(response.body, config_.source);
    else spdlog::error("cannot fetch the federation list {}: {}", config_.source,
                       response.ok() ? "status " + std::to_string(response.status) : response.message);
    std::lock_guard lock(mutex_);
    fetching_ = false;
  };
  boost::asio::co_spawn(executor_, fetch, boost::asio::detached);
}

}  // namespace domovoy::federation
