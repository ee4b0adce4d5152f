#include "homeserver/sync/filter.hpp"

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy {

namespace {
// Type filters may use '*' as a wildcard for any sequence of characters, anywhere (filter.yaml).
bool glob_matches(std::string_view pattern, std::string_view value) {
  std::size_t p = 0, v = 0, star = std::string_view::npos, resume = 0;
  while (v < value.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = v;
    } else if (p < pattern.size() && pattern[p] == value[v]) {
      ++p;
      ++v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool any_matches(const std::vector<std::string>& patterns, std::string_view value, bool glob) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return glob ? glob_matches(pattern, value) : pattern == value; });
}

std::vector<std::string> string_list(const json::value& value, std::string_view name) {
  if (!value.is_array()) throw bad_json("filter '" + std::string(name) + "' must be an array of strings");
  std::vector<std::string> list;
  for (const auto& element : value.as_array()) {
    if (!element.is_string()) throw bad_json("filter '" + std::string(name) + "' must be an array of strings");
    list.emplace_back(element.as_string());
  }
  return list;
}

std::optional<std::vector<std::string>> optional_list(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return std::nullopt;
  return string_list(*value, key);
}

const json::object& sub_object(const json::object& object, std::string_view key) {
  static const json::object kEmpty;
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return kEmpty;
  if (!value->is_object()) throw bad_json("filter '" + std::string(key) + "' must be an object");
  return value->as_object();
}
}  // namespace

bool EventFilter::matches(std::string_view type, std::string_view sender) const {
  if (any_matches(not_types, type, true)) return false;
  if (types && !any_matches(*types, type, true)) return false;
  if (any_matches(not_senders, sender, false)) return false;
  if (senders && !any_matches(*senders, sender, false)) return false;
  return true;
}

bool EventFilter::matches_room(std::string_view room_id) const {
  if (any_matches(not_rooms, room_id, false)) return false;
  if (rooms && !any_matches(*rooms, room_id, false)) return false;
  return true;
}

bool SyncFilter::includes_room(std::string_view room_id) const {
  if (any_matches(not_rooms, room_id, false)) return false;
  if (rooms && !any_matches(*rooms, room_id, false)) return false;
  return true;
}

EventFilter parse_event_filter(const json::object& object) {
  EventFilter filter;
  if (auto limit = optional_int(object, "limit")) {
    if (*limit < 1) throw invalid_param("filter limit must be positive");
    filter.limit = static_cast<std::size_t>(std::min<std::int64_t>(*limit, 1000));
  }
  filter.types = optional_list(object, "types");
  filter.not_types = optional_list(object, "not_types").value_or(std::vector<std::string>{});
  filter.senders = optional_list(object, "senders");
  filter.not_senders = optional_list(object, "not_senders").value_or(std::vector<std::string>{});
  filter.rooms = optional_list(object, "rooms");
  filter.not_rooms = optional_list(object, "not_rooms").value_or(std::vector<std::string>{});
  filter.lazy_load_members = optional_bool(object, "lazy_load_members").value_or(false);
  filter.include_redundant_members = optional_bool(object, "include_redundant_members").value_or(false);
  filter.unread_thread_notifications = optional_bool(object, "unread_thread_notifications").value_or(false);
  return filter;
}

SyncFilter parse_sync_filter(const json::object& object) {
  SyncFilter filter;
  if (const auto* fields = object.if_contains("event_fields")) filter.event_fields = string_list(*fields, "event_fields");
  if (const auto* format = object.if_contains("event_format")) {
    if (!format->is_string() || (format->as_string() != "client" && format->as_string() != "federation"))
      throw invalid_param("event_format must be 'client' or 'federation'");
  }
  filter.presence = parse_event_filter(sub_object(object, "presence"));
  filter.account_data = parse_event_filter(sub_object(object, "account_data"));
  const auto& room = sub_object(object, "room");
  filter.rooms = optional_list(room, "rooms");
  filter.not_rooms = optional_list(room, "not_rooms").value_or(std::vector<std::string>{});
  filter.include_leave = optional_bool(room, "include_leave").value_or(false);
  filter.timeline = parse_event_filter(sub_object(room, "timeline"));
  filter.state = parse_event_filter(sub_object(room, "state"));
  filter.ephemeral = parse_event_filter(sub_object(room, "ephemeral"));
  filter.room_account_data = parse_event_filter(sub_object(room, "account_data"));
  return filter;
}

}  // namespace domovoy
