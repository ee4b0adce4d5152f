#include "federation/remote_key_store.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace domovoy::federation {

namespace json = boost::json;

namespace {
std::string encode(const ServerKeys& keys) {
  json::object verify, old;
  for (const auto& [id, key] : keys.verify_keys) verify[id] = key;
  for (const auto& [id, key] : keys.old_verify_keys) old[id] = json::object{{"key", key.key}, {"expired_ts", key.expired_ts}};
  return json::serialize(json::object{{"valid_until_ts", keys.valid_until_ts},
                                      {"verify_keys", std::move(verify)},
                                      {"old_verify_keys", std::move(old)},
                                      {"signed_response", keys.signed_response}});
}

ServerKeys decode(const std::string& server_name, const std::string& text) {
  auto object = json::parse(text).as_object();
  ServerKeys keys;
  keys.server_name = server_name;
  keys.valid_until_ts = object.at("valid_until_ts").as_int64();
  for (const auto& [id, key] : object.at("verify_keys").as_object())
    keys.verify_keys[std::string(id)] = std::string(key.as_string());
  for (const auto& [id, entry] : object.at("old_verify_keys").as_object())
    keys.old_verify_keys[std::string(id)] = {std::string(entry.at("key").as_string()), entry.at("expired_ts").as_int64()};
  if (const auto* response = object.if_contains("signed_response"); response && response->is_object())
    keys.signed_response = response->get_object();
  return keys;
}
}  // namespace

std::optional<ServerKeys> RemoteKeyStore::find(const std::string& server_name) const {
  {
    std::lock_guard lock(mutex_);
    if (auto found = cache_.find(server_name); found != cache_.end()) return found->second;
  }
  auto stored = database_.get(storage::Table::servername_keys, server_name);
  if (!stored) return std::nullopt;
  auto keys = decode(server_name, *stored);
  std::lock_guard lock(mutex_);
  cache_.emplace(server_name, keys);
  return keys;
}

std::optional<std::string> RemoteKeyStore::cached_key(const std::string& server_name, std::string_view key_id,
                                                      std::int64_t at_ms, bool enforce_valid_until) const {
  std::lock_guard lock(mutex_);
  auto found = cache_.find(server_name);
  if (found == cache_.end()) return std::nullopt;
  return usable_key(found->second, key_id, at_ms, enforce_valid_until);
}

ServerKeys RemoteKeyStore::store(const ServerKeys& fetched, std::int64_t fetched_at_ms) {
  ServerKeys merged = fetched;
  if (auto previous = find(fetched.server_name)) {
    for (const auto& [id, key] : previous->verify_keys)
      if (!merged.verify_keys.contains(id) && !merged.old_verify_keys.contains(id))
        merged.old_verify_keys[id] = {key, std::min(fetched_at_ms, previous->valid_until_ts)};
    for (const auto& [id, old] : previous->old_verify_keys)
      if (!merged.verify_keys.contains(id)) merged.old_verify_keys.emplace(id, old);
  }
  storage::WriteBatch batch;
  batch.put(storage::Table::servername_keys, fetched.server_name, encode(merged));
  database_.write(std::move(batch));
  std::lock_guard lock(mutex_);
  cache_[fetched.server_name] = merged;
  return merged;
}

}  // namespace domovoy::federation
