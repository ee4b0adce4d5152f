#include "federation/key_fetcher.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "federation/key_server.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy::federation {

namespace json = boost::json;

KeyFetcher::KeyFetcher(FederationClient& client, RemoteKeyStore& store, boost::asio::thread_pool& blocking_pool,
                       const ServerIdentity& identity, std::vector<std::string> notaries)
    : client_(client),
      store_(store),
      blocking_pool_(blocking_pool),
      identity_(identity),
      notaries_(std::move(notaries)) {}

bool KeyFetcher::may_ask(const std::string& server_name, std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto& last = last_attempt_[server_name];
  if (last != 0 && now - last < kRefetchAfterFailureMs) return false;
  last = now;
  return true;
}

bool KeyFetcher::begin_fetch(const std::string& server_name, std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto& last = last_attempt_[server_name];
  if (last != 0 && now - last < kRefetchAfterFailureMs) return false;
  last = now;
  fetching_.insert(server_name);
  return true;
}

bool KeyFetcher::is_fetching(const std::string& server_name) {
  std::lock_guard lock(mutex_);
  return fetching_.count(server_name) != 0;
}

boost::asio::awaitable<ServerKeys> KeyFetcher::keep(ServerKeys keys, std::int64_t fetched_at) {
  auto store = [&] { return store_.store(keys, fetched_at); };
  co_return co_await http::run_blocking(blocking_pool_, store);
}

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
    auto kept = keep(check_server_keys(response.body, server_name, fetched_at), fetched_at);
    co_return co_await std::move(kept);
  } catch (const KeyResponseError& error) {
    spdlog::warn("keys of {} refused: {}", server_name, error.what());
    co_return std::nullopt;
  }
}

boost::asio::awaitable<std::optional<ServerKeys>> KeyFetcher::fetch_from_notary(const std::string& notary,
                                                                                const std::string& server_name,
                                                                                const std::string& key_id) {
  FederationRequest request;
  request.method = boost::beast::http::verb::post;
  request.destination = notary;
  request.uri = "/_matrix/key/v2/query";
  request.body = json::object{{"server_keys", json::object{{server_name, json::object{{key_id, json::object{}}}}}}};
  request.timeout = std::chrono::milliseconds(10000);
  auto response = co_await client_.request(request);
  const auto* list = response.success() && response.body.is_object()
                         ? response.body.get_object().if_contains("server_keys") : nullptr;
  if (!list || !list->is_array()) {
    spdlog::warn("keys of {} from notary {}: {}", server_name, notary,
                 response.ok() ? "status " + std::to_string(response.status) : response.message);
    co_return std::nullopt;
  }
  auto fetched_at = now_ms();
  std::optional<ServerKeys> best;
  for (const auto& entry : list->get_array()) {
    const auto* object = entry.if_object();
    const auto* name = object ? object->if_contains("server_name") : nullptr;
    if (!name || !name->is_string() || name->get_string() != server_name) continue;
    try {
      auto keys = check_server_keys(entry, server_name, fetched_at);
      // The notary vouches for the response only with its own signature, made with a key this
      // server got from the notary itself.
      bool vouched = false;
      json::object notary_signatures;
      if (const auto* signatures = object->at("signatures").as_object().if_contains(notary);
          signatures && signatures->is_object())
        notary_signatures = signatures->get_object();
      for (const auto& [notary_key_id, signature] : notary_signatures) {
        auto lookup = find_key(notary, std::string(notary_key_id), fetched_at, true, false);
        auto notary_key = co_await std::move(lookup);
        if (notary_key && signature.is_string() &&
            verify_json_signature(*object, notary, notary_key_id, *notary_key)) {
          vouched = true;
          break;
        }
      }
      if (!vouched) throw KeyResponseError("not signed by the notary " + notary);
      if (!best || keys.valid_until_ts > best->valid_until_ts) best = std::move(keys);
    } catch (const std::exception& error) {  // KeyResponseError, or a signatures field of the wrong type
      spdlog::warn("keys of {} from notary {} refused: {}", server_name, notary, error.what());
    }
  }
  if (!best) co_return std::nullopt;
  auto kept = keep(std::move(*best), fetched_at);
  co_return co_await std::move(kept);
}

boost::asio::awaitable<std::optional<std::string>> KeyFetcher::key_for(std::string server_name, std::string key_id,
                                                                       std::int64_t at_ms, bool enforce_valid_until) {
  auto found = find_key(std::move(server_name), std::move(key_id), at_ms, enforce_valid_until, true);
  co_return co_await std::move(found);
}

boost::asio::awaitable<std::optional<std::string>> KeyFetcher::find_key(std::string server_name, std::string key_id,
                                                                        std::int64_t at_ms, bool enforce_valid_until,
                                                                        bool via_notaries) {
  if (server_name == identity_.server_name) {
    if (key_id == identity_.signing_key.key_id()) co_return identity_.signing_key.public_key_base64();
    co_return std::nullopt;
  }
  // Every PDU and request needs a key: from memory without a trip to the blocking pool.
  if (auto key = store_.cached_key(server_name, key_id, at_ms, enforce_valid_until)) co_return key;
  auto find = [&] { return store_.find(server_name); };
  auto known = co_await http::run_blocking(blocking_pool_, find);
  if (known)
    if (auto key = usable_key(*known, key_id, at_ms, enforce_valid_until)) co_return key;
  if (!begin_fetch(server_name, now_ms())) {
    // Another request is fetching these keys (a server's first requests come many at once):
    // its answer is this one's too. Otherwise keys still valid that lack this key id, or a
    // fetch that just failed: not again so soon.
    bool waited = false;
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    while (is_fetching(server_name)) {
      waited = true;
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
    if (!waited) co_return std::nullopt;
    if (auto key = store_.cached_key(server_name, key_id, at_ms, enforce_valid_until)) co_return key;
    auto found = co_await http::run_blocking(blocking_pool_, find);
    if (found) co_return usable_key(*found, key_id, at_ms, enforce_valid_until);
    co_return std::nullopt;
  }
  struct Fetching {
    KeyFetcher& fetcher;
    std::string server;
    ~Fetching() {
      std::lock_guard lock(fetcher.mutex_);
      fetcher.fetching_.erase(server);
    }
  } fetching{*this, server_name};
  if (auto fetched = co_await fetch(server_name))
    if (auto key = usable_key(*fetched, key_id, at_ms, enforce_valid_until)) co_return key;
  if (!via_notaries) co_return std::nullopt;
  for (const auto& notary : notaries_) {
    if (notary == server_name || notary == identity_.server_name) continue;
    if (auto fetched = co_await fetch_from_notary(notary, server_name, key_id))
      if (auto key = usable_key(*fetched, key_id, at_ms, enforce_valid_until)) co_return key;
  }
  co_return std::nullopt;
}

boost::asio::awaitable<std::vector<json::object>> KeyFetcher::notarised_keys(std::string server_name,
                                                                             std::int64_t minimum_valid_until_ts) {
  std::vector<json::object> answer;
  if (server_name == identity_.server_name) {
    answer.push_back(own_server_keys(identity_));
    co_return answer;
  }
  auto find = [&] { return store_.find(server_name); };
  auto known = co_await http::run_blocking(blocking_pool_, find);
  bool fresh = known && !known->signed_response.empty() && known->valid_until_ts >= minimum_valid_until_ts;
  if (!fresh && may_ask(server_name, now_ms()))
    if (auto fetched = co_await fetch(server_name)) known = std::move(fetched);
  if (known && !known->signed_response.empty()) {
    auto signed_here = known->signed_response;
    sign_json(signed_here, identity_.server_name, identity_.signing_key);
    answer.push_back(std::move(signed_here));
  }
  co_return answer;
}

}  // namespace domovoy::federation
