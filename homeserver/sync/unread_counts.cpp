#include "homeserver/sync/unread_counts.hpp"

#include "storage/key_codec.hpp"

namespace domovoy {

namespace {
bool mentions(const boost::json::object& content, const std::string& user_id) {
  const auto* value = content.if_contains("m.mentions");
  if (!value || !value->is_object()) return false;
  const auto& object = value->as_object();
  if (const auto* room = object.if_contains("room"); room && room->is_bool() && room->as_bool()) return true;
  if (const auto* users = object.if_contains("user_ids"); users && users->is_array())
    for (const auto& user : users->as_array())
      if (user.is_string() && user.as_string() == user_id) return true;
  return false;
}
}  // namespace

std::uint64_t UnreadCounts::read_position(const std::string& user_id, const std::string& room_id) {
  std::uint64_t position = 0;
  for (auto type : {"m.read", "m.read.private"}) {
    if (auto receipt = receipts_.get(room_id, type, user_id))
      if (auto event = rooms_.get_event(receipt->event_id)) position = std::max(position, event->stream);
  }
  return position;
}

std::pair<UnreadCount, bool> UnreadCounts::count_between(const std::string& user_id, const std::string& room_id,
                                                         std::uint64_t after, std::uint64_t up_to) {
  UnreadCount count;
  std::size_t examined = 0;
  constexpr std::size_t kPage = 16;
  for (std::uint64_t cursor = up_to; examined < kMaxScan && cursor > after;) {
    auto page = rooms_.room_events(room_id, after, cursor, kPage, true);
    for (const auto& event : page) {
      ++examined;
      if (event->sender == user_id) return {count, true};  // one's own message marks everything before it read
      if (event->type != "m.room.message" && event->type != "m.room.encrypted") continue;
      const auto& content = event->content();
      if (const auto* msgtype = content.if_contains("msgtype");
          msgtype && msgtype->is_string() && msgtype->as_string() == "m.notice")
        continue;
      ++count.notifications;
      if (mentions(content, user_id)) ++count.highlights;
    }
    if (page.size() < kPage) break;
    cursor = page.back()->stream - 1;
  }
  return {count, false};
}

UnreadCount UnreadCounts::at(const std::string& user_id, const std::string& room_id, std::uint64_t up_to) {
  auto key = storage::join_key({user_id, room_id});
  std::optional<Kept> kept;
  {
    std::lock_guard lock(mutex_);
    if (auto it = kept_.find(key); it != kept_.end()) kept = it->second;
  }
  // No receipt of the room written since the last count: the user's read position stands (a
  // receipt written later has a position past what that count could see).
  bool receipts_unchanged = kept && receipts_.latest(room_id) <= kept->counted_up_to;
  auto read = receipts_unchanged ? kept->read_position : read_position(user_id, room_id);
  Kept result;
  result.read_position = read;
  result.counted_up_to = up_to;
  // A count made at a position before the receipt's event cannot be brought forward: the
  // events between that position and the receipt are read, and counting on would count them.
  if (kept && kept->read_position == read && read <= kept->counted_up_to && kept->counted_up_to <= up_to) {
    // Only the events since the last count; an own message among them starts the count afresh.
    auto [added, own_message] = count_between(user_id, room_id, kept->counted_up_to, up_to);
    result.count = added;
    if (!own_message) {
      result.count.notifications += kept->count.notifications;
      result.count.highlights += kept->count.highlights;
    }
  } else {
    result.count = count_between(user_id, room_id, read, up_to).first;
  }
  std::lock_guard lock(mutex_);
  if (kept_.size() >= kMaxKept) kept_.clear();  // a bound, not a policy: counts are rebuilt on demand
  kept_[key] = result;
  return result.count;
}

}  // namespace domovoy
