#pragma once
// Event filters (client-server-api: "Filtering"; definitions/sync_filter.yaml).
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "homeserver/rooms/event.hpp"

namespace domovoy {

struct EventFilter {
  std::optional<std::size_t> limit;
  std::optional<std::vector<std::string>> types;
  std::vector<std::string> not_types;
  std::optional<std::vector<std::string>> senders;
  std::vector<std::string> not_senders;
  std::optional<std::vector<std::string>> rooms;  // room event filters only
  std::vector<std::string> not_rooms;
  bool lazy_load_members = false;
  bool include_redundant_members = false;
  bool unread_thread_notifications = false;  // /sync: counts per thread (timeline filter)

  bool matches(std::string_view type, std::string_view sender) const;
  bool matches_room(std::string_view room_id) const;
  bool matches(const Event& event) const { return matches(event.type, event.sender) && matches_room(event.room_id); }
};

struct SyncFilter {
  EventFilter presence;
  EventFilter account_data;
  std::optional<std::vector<std::string>> rooms;
  std::vector<std::string> not_rooms;
  bool include_leave = false;
  EventFilter timeline;
  EventFilter state;
  EventFilter ephemeral;
  EventFilter room_account_data;
  std::vector<std::string> event_fields;

  bool includes_room(std::string_view room_id) const;
};

// Parse and validate; throws ApiError M_BAD_JSON / M_INVALID_PARAM on a malformed filter.
EventFilter parse_event_filter(const boost::json::object& object);
SyncFilter parse_sync_filter(const boost::json::object& object);

}  // namespace domovoy
