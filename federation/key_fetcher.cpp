#include "federation/key_fetcher.hpp"

#include <spdlog/spdlog.h>

#include "homeserver/core/clock.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy::federation {

KeyFetcher::KeyFetcher(FederationClient& client, RemoteKeyStore& store, boost::asio::thread_pool& blocking_pool,
                       const ServerIdentity& identity)
    : client_(client), store_(store), blocking_pool_(blocking_pool), identity_(identity) {}

boost::asio::awaitable<std::optional<ServerKeys>> KeyFetcher::fetch(const std::string& server_name) {
  FederationRequest request;
  request.destination = server_name;
  request.uri = "/_matrix/key/v2/server";
  request.timeout = std::chrono::milliseconds(10000);
  auto response = co_await client_.request(request);
  if (!response.success()) {
    spdlog::warn("keys of {}: {}", server_name,
                 response.ok() ? "status " + std::to_string(response.status) : response.message);
    co_return std::nullopt;
  }
  auto fetched_at = now_ms();
  try {
    auto keys = check_server_keys(response.body, server_name, fetched_at);
    auto keep = [&] { return store_.store(keys, fetched_at); };
    co_return co_await http::run_blocking(blocking_pool_, keep);
  } catch (const KeyResponseError& error) {
    spdlog::warn("keys of {} refused: {}", server_name, error.what());
    co_return std::nullopt;
  }
}

boost::asio::awaitable<std::optional<std::string>> KeyFetcher::key_for(std::string server_name, std::string key_id,
                                                                       std::int64_t at_ms, bool enforce_valid_until) {
  if (server_name == identity_.server_name) {
    if (key_id == identity_.signing_key.key_id()) co_return identity_.signing_key.public_key_base64();
    co_return std::nullopt;
  }
  auto find = [&] { return store_.find(server_name); };
  auto known = co_await http::run_blocking(blocking_pool_, find);
  if (known)
    if (auto key = usable_key(*known, key_id, at_ms, enforce_valid_until)) co_return key;
  auto now = now_ms();
  {
    std::lock_guard lock(mutex_);
    auto& last = last_attempt_[server_name];
    // Keys still valid that lack this key id, or a fetch that just failed: not again so soon.
    if (last != 0 && now - last < kRefetchAfterFailureMs) co_return std::nullopt;
    last = now;
  }
  auto fetched = co_await fetch(server_name);
  if (!fetched) co_return std::nullopt;
  co_return usable_key(*fetched, key_id, at_ms, enforce_valid_until);
}

}  // namespace domovoy::federation
