#include "homeserver/push/pusher_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
Pusher parse_pusher(std::string_view key, std::string_view value) {
  Pusher pusher;
  auto first = key.find(storage::kKeySeparator);
  auto second = key.find(storage::kKeySeparator, first + 1);
  pusher.user_id = std::string(key.substr(0, first));
  pusher.app_id = std::string(key.substr(first + 1, second - first - 1));
  pusher.pushkey = std::string(key.substr(second + 1));
  auto object = parse_stored_json(value).as_object();
  auto text = [&](const char* name) {
    const auto* field = object.if_contains(name);
    return field && field->is_string() ? std::string(field->as_string()) : std::string();
  };
  pusher.kind = text("kind");
  pusher.app_display_name = text("app_display_name");
  pusher.device_display_name = text("device_display_name");
  pusher.profile_tag = text("profile_tag");
  pusher.lang = text("lang");
  if (const auto* data = object.if_contains("data"); data && data->is_object()) pusher.data = data->as_object();
  if (const auto* ts = object.if_contains("pushkey_ts")) pusher.pushkey_ts = ts->to_number<std::int64_t>();
  return pusher;
}
}  // namespace

std::string Pusher::key() const { return storage::join_key({user_id, app_id, pushkey}); }

json::object Pusher::to_json() const {
  json::object out{{"app_id", app_id},       {"pushkey", pushkey},
                   {"kind", kind},           {"app_display_name", app_display_name},
                   {"device_display_name", device_display_name}, {"lang", lang},
                   {"data", data},           {"pushkey_ts", pushkey_ts}};
  if (!profile_tag.empty()) out["profile_tag"] = profile_tag;
  return out;
}

PusherStore::PusherStore(storage::Database& database) : database_(database) {
  refresh_users();
  std::uint64_t highest = 0;
  database_.scan_prefix(Table::pusherqueue_notification, "", [&](std::string_view key, std::string_view) {
    highest = std::max(highest, storage::read_be64(key.substr(key.size() - 8)));
    return true;
  });
  next_seq_ = highest;
}

void PusherStore::refresh_users() {
  std::set<std::string> users;
  database_.scan_prefix(Table::userpusher_pusher, "", [&](std::string_view key, std::string_view) {
    users.emplace(key.substr(0, key.find(storage::kKeySeparator)));
    return true;
  });
  std::lock_guard lock(mutex_);
  users_ = std::move(users);
}

std::vector<Pusher> PusherStore::of_user(const std::string& user_id) const {
  std::vector<Pusher> pushers;
  database_.scan_prefix(Table::userpusher_pusher, storage::key_prefix({user_id}), [&](std::string_view key, std::string_view value) {
    pushers.push_back(parse_pusher(key, value));
    return true;
  });
  return pushers;
}

std::optional<Pusher> PusherStore::find(const std::string& key) const {
  auto stored = database_.get(Table::userpusher_pusher, key);
  if (!stored) return std::nullopt;
  return parse_pusher(key, *stored);
}

bool PusherStore::has_pushers(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return users_.count(user_id) > 0;
}

void PusherStore::stage_removal(storage::WriteBatch& batch, const std::string& key) const {
  batch.remove(Table::userpusher_pusher, key);
  database_.scan_prefix(Table::pusherqueue_notification, key + storage::kKeySeparator,
                        [&](std::string_view queued, std::string_view) {
                          batch.remove(Table::pusherqueue_notification, queued);
                          return true;
                        });
}

void PusherStore::set(const Pusher& pusher, bool append) {
  storage::WriteBatch batch;
  if (!append) {
    // The same app id and pushkey registered by other users (a phone that changed hands).
    database_.scan_prefix(Table::userpusher_pusher, "", [&](std::string_view key, std::string_view value) {
      auto other = parse_pusher(key, value);
      if (other.app_id == pusher.app_id && other.pushkey == pusher.pushkey && other.user_id != pusher.user_id)
        stage_removal(batch, std::string(key));
      return true;
    });
  }
  auto stored = pusher.to_json();
  batch.put(Table::userpusher_pusher, pusher.key(), domovoy::to_json(stored));
  database_.write(std::move(batch));
  refresh_users();
}

bool PusherStore::remove(const std::string& user_id, const std::string& app_id, const std::string& pushkey) {
  auto key = storage::join_key({user_id, app_id, pushkey});
  if (!database_.contains(Table::userpusher_pusher, key)) return false;
  storage::WriteBatch batch;
  stage_removal(batch, key);
  database_.write(std::move(batch));
  refresh_users();
  return true;
}

void PusherStore::enqueue(storage::WriteBatch& batch, const std::string& pusher_key, const json::object& notification) {
  batch.put(Table::pusherqueue_notification, pusher_key + storage::kKeySeparator + storage::be64(++next_seq_),
            domovoy::to_json(notification));
}

std::vector<std::pair<std::string, json::object>> PusherStore::queued(const std::string& pusher_key,
                                                                      std::size_t limit) const {
  std::vector<std::pair<std::string, json::object>> out;
  database_.scan_prefix(Table::pusherqueue_notification, pusher_key + storage::kKeySeparator,
                        [&](std::string_view key, std::string_view value) {
                          out.emplace_back(std::string(key), parse_stored_json(value).as_object());
                          return out.size() < limit;
                        });
  return out;
}

void PusherStore::dequeue(const std::string& queue_key) {
  storage::WriteBatch batch;
  batch.remove(Table::pusherqueue_notification, queue_key);
  database_.write(std::move(batch));
}

std::vector<std::string> PusherStore::pushers_with_queue() const {
  std::vector<std::string> keys;
  database_.scan_prefix(Table::pusherqueue_notification, "", [&](std::string_view key, std::string_view) {
    auto pusher_key = std::string(key.substr(0, key.size() - 9));
    if (keys.empty() || keys.back() != pusher_key) keys.push_back(pusher_key);
    return true;
  });
  return keys;
}

}  // namespace domovoy
