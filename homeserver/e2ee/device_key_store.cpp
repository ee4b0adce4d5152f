#include "homeserver/e2ee/device_key_store.hpp"

#include <functional>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
constexpr std::size_t kMaxCountsCached = 100000;
constexpr std::size_t kMaxKeysPerUpload = 1000;

std::string device_key(std::string_view user_id, std::string_view device_id) {
  return storage::join_key({user_id, device_id});
}

// "<algorithm>:<key id>" -> the algorithm; empty when malformed.
std::string algorithm_of(std::string_view key_id) {
  auto colon = key_id.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == key_id.size()) return {};
  return std::string(key_id.substr(0, colon));
}

void check_key_id(std::string_view key_id) {
  if (algorithm_of(key_id).empty() || key_id.size() > 255 || key_id.find('\0') != std::string_view::npos)
    throw invalid_param("Key ids must be <algorithm>:<key id>");
}

void check_device_keys(const json::object& keys, const std::string& user_id, const std::string& device_id) {
  auto user = optional_string(keys, "user_id");
  auto device = optional_string(keys, "device_id");
  if (!user || *user != user_id) throw invalid_param("device_keys.user_id does not match the user");
  if (!device || *device != device_id) throw invalid_param("device_keys.device_id does not match the device");
  const auto* algorithms = keys.if_contains("algorithms");
  if (!algorithms || !algorithms->is_array()) throw bad_json("device_keys.algorithms must be an array");
  const auto* key_map = keys.if_contains("keys");
  if (!key_map || !key_map->is_object()) throw bad_json("device_keys.keys must be an object");
  for (const auto& [id, value] : key_map->as_object()) {
    check_key_id(id);
    if (!value.is_string()) throw bad_json("device_keys.keys must map key ids to strings");
  }
  const auto* signatures = keys.if_contains("signatures");
  if (signatures && !signatures->is_object()) throw bad_json("device_keys.signatures must be an object");
}

// Uploaded identity keys without what the server adds when serving them.
json::object as_uploaded(json::object keys) {
  keys.erase("unsigned");
  return keys;
}
}  // namespace

DeviceKeyStore::DeviceKeyStore(storage::Database& database, StreamTracker& stream) : database_(database), stream_(stream) {
  database_.scan_reverse(Table::stream_devicelist, "", "", [&](std::string_view key, std::string_view) {
    latest_change_ = storage::read_be64(key);
    return false;
  });
}

std::mutex& DeviceKeyStore::lock_for(const std::string& user_id, const std::string& device_id) {
  return device_locks_[std::hash<std::string>{}(device_key(user_id, device_id)) % device_locks_.size()];
}

void DeviceKeyStore::forget_counts(const std::string& user_id, const std::string& device_id) {
  std::lock_guard lock(counts_mutex_);
  counts_.erase(device_key(user_id, device_id));
}

bool DeviceKeyStore::upload(const std::string& user_id, const std::string& device_id, const json::object* device_keys,
                            const json::object* one_time_keys, const json::object* fallback_keys) {
  if (device_keys) check_device_keys(*device_keys, user_id, device_id);
  if (one_time_keys && one_time_keys->size() > kMaxKeysPerUpload) throw invalid_param("Too many one-time keys at once");
  if (fallback_keys && fallback_keys->size() > 16) throw invalid_param("Too many fallback keys at once");
  std::lock_guard lock(lock_for(user_id, device_id));
  storage::WriteBatch batch;
  bool identity_changed = false;
  if (device_keys) {
    auto uploaded = as_uploaded(*device_keys);
    auto stored = this->device_keys(user_id, device_id);
    if (!stored || *stored != uploaded) {
      batch.put(Table::userdevice_keys, device_key(user_id, device_id), to_json(uploaded));
      identity_changed = true;
    }
  }
  if (one_time_keys) {
    for (const auto& [key_id, key] : *one_time_keys) {
      check_key_id(key_id);
      if (!key.is_object() && !key.is_string()) throw bad_json("One-time keys must be objects or strings");
      auto row = storage::join_key({user_id, device_id, key_id});
      auto text = to_json(key);
      if (auto existing = database_.get(Table::userdevice_onetimekey, row)) {
        if (*existing == text) continue;  // the same key uploaded again (a retried request)
        throw invalid_param("One-time key " + std::string(key_id) + " already exists with another value");
      }
      batch.put(Table::userdevice_onetimekey, row, text);
    }
  }
  if (fallback_keys) {
    std::set<std::string> seen;
    for (const auto& [key_id, key] : *fallback_keys) {
      check_key_id(key_id);
      if (!key.is_object() && !key.is_string()) throw bad_json("Fallback keys must be objects or strings");
      auto algorithm = algorithm_of(key_id);
      if (!seen.insert(algorithm).second) throw invalid_param("One fallback key per algorithm");
      auto row = storage::join_key({user_id, device_id, algorithm});
      // The same key again keeps its "used" mark; a new one replaces it, unused.
      if (auto existing = database_.get(Table::userdevice_fallbackkey, row)) {
        auto stored = parse_stored_json(*existing).as_object();
        if (stored["key_id"] == json::value(json::string(key_id)) && stored["key"] == key) continue;
      }
      batch.put(Table::userdevice_fallbackkey, row,
                to_json(json::object{{"key_id", key_id}, {"key", key}, {"used", false}}));
    }
  }
  if (!batch.empty()) database_.write(std::move(batch));
  forget_counts(user_id, device_id);
  return identity_changed;
}

std::map<std::string, std::uint64_t> DeviceKeyStore::one_time_key_counts(const std::string& user_id,
                                                                         const std::string& device_id) {
  auto cache_key = device_key(user_id, device_id);
  {
    std::lock_guard lock(counts_mutex_);
    if (auto it = counts_.find(cache_key); it != counts_.end()) return it->second;
  }
  std::map<std::string, std::uint64_t> counts{{"signed_curve25519", 0}};
  auto prefix = storage::key_prefix({user_id, device_id});
  database_.scan_prefix(Table::userdevice_onetimekey, prefix, [&](std::string_view key, std::string_view) {
    ++counts[algorithm_of(key.substr(prefix.size()))];
    return true;
  });
  std::lock_guard lock(counts_mutex_);
  if (counts_.size() >= kMaxCountsCached) counts_.clear();
  counts_[cache_key] = counts;
  return counts;
}

std::vector<std::string> DeviceKeyStore::unused_fallback_key_types(const std::string& user_id,
                                                                   const std::string& device_id) {
  std::vector<std::string> types;
  auto prefix = storage::key_prefix({user_id, device_id});
  database_.scan_prefix(Table::userdevice_fallbackkey, prefix, [&](std::string_view key, std::string_view value) {
    if (!parse_stored_json(value).as_object()["used"].as_bool()) types.emplace_back(key.substr(prefix.size()));
    return true;
  });
  return types;
}

std::map<std::string, json::object> DeviceKeyStore::device_keys(const std::string& user_id) const {
  std::map<std::string, json::object> devices;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_prefix(Table::userdevice_keys, prefix, [&](std::string_view key, std::string_view value) {
    devices.emplace(std::string(key.substr(prefix.size())), parse_stored_json(value).as_object());
    return true;
  });
  return devices;
}

std::optional<json::object> DeviceKeyStore::device_keys(const std::string& user_id, const std::string& device_id) const {
  auto stored = database_.get(Table::userdevice_keys, device_key(user_id, device_id));
  if (!stored) return std::nullopt;
  return parse_stored_json(*stored).as_object();
}

std::optional<ClaimedKey> DeviceKeyStore::claim(const std::string& user_id, const std::string& device_id,
                                                const std::string& algorithm) {
  if (algorithm.empty() || algorithm.find('\0') != std::string::npos) return std::nullopt;
  std::lock_guard lock(lock_for(user_id, device_id));
  std::optional<ClaimedKey> claimed;
  auto prefix = storage::key_prefix({user_id, device_id, algorithm + ":"});
  // key_prefix ends with a separator; the key ids follow "<algorithm>:" directly.
  prefix.pop_back();
  std::string row;
  database_.scan_prefix(Table::userdevice_onetimekey, prefix, [&](std::string_view key, std::string_view value) {
    row = std::string(key);
    claimed = ClaimedKey{std::string(key.substr(prefix.size() - algorithm.size() - 1)), parse_stored_json(value)};
    return false;
  });
  storage::WriteBatch batch;
  if (claimed) {
    batch.remove(Table::userdevice_onetimekey, row);
  } else {
    auto fallback_row = storage::join_key({user_id, device_id, algorithm});
    auto stored = database_.get(Table::userdevice_fallbackkey, fallback_row);
    if (!stored) return std::nullopt;
    auto fallback = parse_stored_json(*stored).as_object();
    claimed = ClaimedKey{std::string(fallback["key_id"].as_string()), fallback["key"]};
    if (!fallback["used"].as_bool()) {
      fallback["used"] = true;
      batch.put(Table::userdevice_fallbackkey, fallback_row, to_json(fallback));
    }
  }
  if (!batch.empty()) database_.write(std::move(batch));
  forget_counts(user_id, device_id);
  return claimed;
}

std::optional<json::object> DeviceKeyStore::cross_signing_key(const std::string& user_id, const std::string& usage) const {
  auto stored = database_.get(Table::usercrosssigning_key, storage::join_key({user_id, usage}));
  if (!stored) return std::nullopt;
  return parse_stored_json(*stored).as_object();
}

void DeviceKeyStore::put_cross_signing_keys(const std::string& user_id, const std::map<std::string, json::object>& keys) {
  storage::WriteBatch batch;
  for (const auto& [usage, key] : keys) batch.put(Table::usercrosssigning_key, storage::join_key({user_id, usage}), to_json(key));
  database_.write(std::move(batch));
}

bool DeviceKeyStore::add_signatures(const std::string& user_id, const std::string& device_id_or_usage,
                                    bool is_cross_signing, const std::string& signer,
                                    const json::object& signatures_of_signer) {
  auto table = is_cross_signing ? Table::usercrosssigning_key : Table::userdevice_keys;
  auto row = storage::join_key({user_id, device_id_or_usage});
  std::lock_guard lock(lock_for(user_id, device_id_or_usage));
  auto stored = database_.get(table, row);
  if (!stored) return false;
  auto object = parse_stored_json(*stored).as_object();
  auto& signatures = object["signatures"];
  if (!signatures.is_object()) signatures = json::object{};
  auto& by_signer = signatures.as_object()[signer];
  if (!by_signer.is_object()) by_signer = json::object{};
  for (const auto& [key_id, signature] : signatures_of_signer) by_signer.as_object()[key_id] = signature;
  storage::WriteBatch batch;
  batch.put(table, row, to_json(object));
  database_.write(std::move(batch));
  return true;
}

void DeviceKeyStore::stage_device_removal(storage::WriteBatch& batch, const std::string& user_id,
                                          const std::string& device_id) {
  batch.remove(Table::userdevice_keys, device_key(user_id, device_id));
  auto prefix = storage::key_prefix({user_id, device_id});
  for (auto table : {Table::userdevice_onetimekey, Table::userdevice_fallbackkey}) {
    database_.scan_prefix(table, prefix, [&](std::string_view key, std::string_view) {
      batch.remove(table, key);
      return true;
    });
  }
  forget_counts(user_id, device_id);
}

std::uint64_t DeviceKeyStore::note_change(const std::string& user_id, StreamTracker::Callback when_visible) {
  StreamTracker::Slot slot(stream_);
  storage::WriteBatch batch;
  batch.put(Table::stream_devicelist, storage::be64(slot.position()), user_id);
  batch.put(Table::streampos_kind, storage::be64(slot.position()), "device_list");
  database_.write(std::move(batch));
  auto position = slot.position();
  auto latest = latest_change_.load();
  while (latest < position && !latest_change_.compare_exchange_weak(latest, position)) {
  }
  slot.release(std::move(when_visible));
  return position;
}

std::set<std::string> DeviceKeyStore::changed_users(std::uint64_t after, std::uint64_t up_to, std::size_t limit) const {
  std::set<std::string> users;
  if (up_to <= after || latest_change_.load() <= after) return users;
  std::size_t examined = 0;
  database_.scan_from(Table::stream_devicelist, "", storage::be64(after + 1), [&](std::string_view key, std::string_view value) {
    if (storage::read_be64(key) > up_to || examined++ >= limit) return false;
    users.emplace(value);
    return true;
  });
  return users;
}

}  // namespace domovoy
