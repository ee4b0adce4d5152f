#include "homeserver/e2ee/key_backup_store.hpp"

#include <charconv>
#include <functional>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
std::string next_version_key(std::string_view user_id) {
  return std::string("backup_next_version") + storage::kKeySeparator + std::string(user_id);
}

// Versions are decimal numbers; anything else names no version.
std::optional<std::uint64_t> parse_version(const std::string& text) {
  std::uint64_t number = 0;
  auto result = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || result.ec != std::errc{} || result.ptr != text.data() + text.size()) return std::nullopt;
  return number;
}

std::string version_row(std::string_view user_id, std::uint64_t version) {
  return storage::key_prefix({user_id}) + storage::be64(version);
}

std::string keys_prefix(std::string_view user_id, std::uint64_t version) {
  return version_row(user_id, version) + storage::kKeySeparator;
}

BackupVersion parse_record(std::uint64_t number, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  return {std::to_string(number), std::string(object["algorithm"].as_string()), object["auth_data"].as_object(),
          object["etag"].to_number<std::uint64_t>(), object["count"].to_number<std::uint64_t>()};
}

std::int64_t number_or(const json::object& data, std::string_view key, std::int64_t fallback) {
  const auto* value = data.if_contains(key);
  if (!value) return fallback;
  auto number = as_integer(*value);
  return number ? *number : fallback;
}

// The spec's rule for two copies of one session's key.
bool better_than(const json::object& candidate, const json::object& existing) {
  bool new_verified = candidate.contains("is_verified") && candidate.at("is_verified").is_bool() &&
                      candidate.at("is_verified").as_bool();
  bool old_verified = existing.contains("is_verified") && existing.at("is_verified").is_bool() &&
                      existing.at("is_verified").as_bool();
  if (new_verified != old_verified) return new_verified;
  auto new_index = number_or(candidate, "first_message_index", INT64_MAX);
  auto old_index = number_or(existing, "first_message_index", INT64_MAX);
  if (new_index != old_index) return new_index < old_index;
  return number_or(candidate, "forwarded_count", INT64_MAX) < number_or(existing, "forwarded_count", INT64_MAX);
}

void check_key_data(const json::value& data) {
  if (!data.is_object()) throw bad_json("Key backup data must be an object");
  const auto& object = data.as_object();
  for (auto field : {"first_message_index", "forwarded_count"}) {
    const auto* value = object.if_contains(field);
    if (!value || !as_integer(*value)) throw bad_json(std::string(field) + " must be an integer");
  }
  const auto* verified = object.if_contains("is_verified");
  if (!verified || !verified->is_bool()) throw bad_json("is_verified must be a boolean");
  const auto* session = object.if_contains("session_data");
  if (!session || !session->is_object()) throw bad_json("session_data must be an object");
}

void check_id(const std::string& id, std::string_view what) {
  if (id.empty() || id.size() > 255 || id.find('\0') != std::string::npos) throw invalid_param("Invalid " + std::string(what));
}
}  // namespace

void KeyBackupStore::put_version(storage::WriteBatch& batch, const std::string& user_id,
                                 const BackupVersion& version) const {
  batch.put(Table::userbackup_version, version_row(user_id, *parse_version(version.version)),
            to_json(json::object{{"algorithm", version.algorithm},
                                 {"auth_data", version.auth_data},
                                 {"etag", version.etag},
                                 {"count", version.count}}));
}

std::string KeyBackupStore::create_version(const std::string& user_id, const std::string& algorithm,
                                           const json::object& auth_data) {
  std::lock_guard lock(lock_for(user_id));
  std::uint64_t number = 1;
  if (auto stored = database_.get(Table::meta, next_version_key(user_id))) number = storage::read_be64(*stored);
  BackupVersion created{std::to_string(number), algorithm, auth_data, 0, 0};
  storage::WriteBatch batch;
  put_version(batch, user_id, created);
  batch.put(Table::meta, next_version_key(user_id), storage::be64(number + 1));
  database_.write(std::move(batch));
  return created.version;
}

std::optional<BackupVersion> KeyBackupStore::latest(const std::string& user_id) const {
  std::optional<BackupVersion> found;
  auto prefix = storage::key_prefix({user_id});
  // Keys of a version sort after it (version row + separator + ...): skip them going backwards.
  database_.scan_reverse(Table::userbackup_version, prefix, "", [&](std::string_view key, std::string_view value) {
    if (key.size() != prefix.size() + 8) return true;
    found = parse_record(storage::read_be64(key.substr(prefix.size())), value);
    return false;
  });
  return found;
}

std::optional<BackupVersion> KeyBackupStore::version(const std::string& user_id, const std::string& version) const {
  auto number = parse_version(version);
  if (!number) return std::nullopt;
  auto stored = database_.get(Table::userbackup_version, version_row(user_id, *number));
  if (!stored) return std::nullopt;
  return parse_record(*number, *stored);
}

BackupVersion KeyBackupStore::existing_version(const std::string& user_id, const std::string& version) const {
  auto found = this->version(user_id, version);
  if (!found) throw not_found("Unknown backup version");
  return *found;
}

void KeyBackupStore::update_version(const std::string& user_id, const std::string& version,
                                    const std::string& algorithm, const json::object& auth_data) {
  std::lock_guard lock(lock_for(user_id));
  auto existing = existing_version(user_id, version);
  if (existing.algorithm != algorithm) throw invalid_param("Algorithm does not match");
  existing.auth_data = auth_data;
  storage::WriteBatch batch;
  put_version(batch, user_id, existing);
  database_.write(std::move(batch));
}

bool KeyBackupStore::delete_version(const std::string& user_id, const std::string& version) {
  std::lock_guard lock(lock_for(user_id));
  auto found = this->version(user_id, version);
  if (!found) return false;
  auto number = *parse_version(version);
  storage::WriteBatch batch;
  batch.remove(Table::userbackup_version, version_row(user_id, number));
  database_.scan_prefix(Table::userbackup_key, keys_prefix(user_id, number), [&](std::string_view key, std::string_view) {
    batch.remove(Table::userbackup_key, key);
    return true;
  });
  database_.write(std::move(batch));
  return true;
}

BackupTotals KeyBackupStore::put_keys(const std::string& user_id, const std::string& version, const json::object& rooms) {
  std::lock_guard lock(lock_for(user_id));
  auto current = latest(user_id);
  if (!current) throw not_found("No backup version exists");
  if (current->version != version) {
    if (!this->version(user_id, version)) throw not_found("Unknown backup version");
    throw ApiError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version.",
                   json::object{{"current_version", current->version}});
  }
  auto number = *parse_version(version);
  storage::WriteBatch batch;
  bool changed = false;
  for (const auto& [room_id, room] : rooms) {
    check_id(room_id, "room id");
    const auto* sessions = room.is_object() ? room.as_object().if_contains("sessions") : nullptr;
    if (!sessions || !sessions->is_object()) throw bad_json("Each room must hold 'sessions'");
    for (const auto& [session_id, data] : sessions->as_object()) {
      check_id(session_id, "session id");
      check_key_data(data);
      auto row = storage::join_key({version_row(user_id, number), room_id, session_id});
      auto existing = database_.get(Table::userbackup_key, row);
      if (existing && !better_than(data.as_object(), parse_stored_json(*existing).as_object())) continue;
      if (!existing) ++current->count;
      batch.put(Table::userbackup_key, row, to_json(data));
      changed = true;
    }
  }
  if (changed) {
    ++current->etag;
    put_version(batch, user_id, *current);
    database_.write(std::move(batch));
  }
  return {current->etag, current->count};
}

json::object KeyBackupStore::get_keys(const std::string& user_id, const std::string& version, const std::string& room_id,
                                      const std::string& session_id) const {
  auto number = *parse_version(existing_version(user_id, version).version);
  auto prefix = keys_prefix(user_id, number);
  if (!session_id.empty()) {
    auto stored = database_.get(Table::userbackup_key, storage::join_key({version_row(user_id, number), room_id, session_id}));
    if (!stored) throw not_found("No room key found for this session");
    return parse_stored_json(*stored).as_object();
  }
  auto scan_prefix = room_id.empty() ? prefix : prefix + room_id + storage::kKeySeparator;
  json::object rooms;
  database_.scan_prefix(Table::userbackup_key, scan_prefix, [&](std::string_view key, std::string_view value) {
    auto rest = key.substr(prefix.size());
    auto separator = rest.find(storage::kKeySeparator);
    auto& room = rooms[rest.substr(0, separator)];
    if (!room.is_object()) room = json::object{{"sessions", json::object{}}};
    room.as_object()["sessions"].as_object()[rest.substr(separator + 1)] = parse_stored_json(value);
    return true;
  });
  if (!room_id.empty()) {
    auto* room = rooms.if_contains(room_id);
    return room ? room->as_object() : json::object{{"sessions", json::object{}}};
  }
  return {{"rooms", std::move(rooms)}};
}

BackupTotals KeyBackupStore::delete_keys(const std::string& user_id, const std::string& version,
                                         const std::string& room_id, const std::string& session_id) {
  std::lock_guard lock(lock_for(user_id));
  auto current = existing_version(user_id, version);
  auto number = *parse_version(version);
  auto prefix = keys_prefix(user_id, number);
  std::string scan_prefix = prefix;
  if (!room_id.empty()) scan_prefix += room_id + storage::kKeySeparator;
  storage::WriteBatch batch;
  std::uint64_t removed = 0;
  database_.scan_prefix(Table::userbackup_key, scan_prefix, [&](std::string_view key, std::string_view) {
    if (!session_id.empty() && key.substr(scan_prefix.size()) != session_id) return true;
    batch.remove(Table::userbackup_key, key);
    ++removed;
    return true;
  });
  if (removed > 0) {
    current.count -= std::min(current.count, removed);
    ++current.etag;
    put_version(batch, user_id, current);
    database_.write(std::move(batch));
  }
  return {current.etag, current.count};
}

}  // namespace domovoy
