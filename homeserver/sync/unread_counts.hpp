#pragma once
// Unread notification and highlight counts per user and room: the events from others after the
// user's read receipt (or their own last message) for which the user's push rules say "notify"
// (and "highlight"), evaluated with the room's member count, the user's display name there and
// the sender's power, as the spec's push rules define.
//
// Counts are kept per (user, room) and brought forward from the position they were counted up
// to, so a woken /sync in a busy room of thousands looks at the new events only, not back to
// the user's receipt each time.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "homeserver/push/push_rules.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/sync/receipt_store.hpp"

namespace domovoy {

struct UnreadCount {
  std::int64_t notifications = 0;
  std::int64_t highlights = 0;
};

class UnreadCounts {
 public:
  UnreadCounts(RoomEngine& rooms, ReceiptStore& receipts, PushRules& push_rules)
      : rooms_(rooms), receipts_(receipts), push_rules_(push_rules) {}

  // What the user's push rules say of one event in its room (for /notifications too).
  PushActions actions_for(const std::string& user_id, const Event& event);

  // The room's side of an event's evaluation (its state, member count, notification levels,
  // the sender's power), made once and then evaluated for each member (the push consumer).
  struct EventContext {
    StatePtr state;
    PushEvent view;
    PushContext room;  // without user_id and display_name
  };
  EventContext event_context(const Event& event);
  PushActions actions_for(const std::string& user_id, const EventContext& context);

  // The counts of `user_id` in `room_id` at stream position `up_to`.
  UnreadCount at(const std::string& user_id, const std::string& room_id, std::uint64_t up_to);

 private:
  struct Kept {
    std::uint64_t rules_generation = 0;  // the rules counted with (a change of them counts afresh)
    std::uint64_t read_position = 0;  // the receipt the counts start after
    std::uint64_t counted_up_to = 0;
    UnreadCount count;
  };
  // Counts events in (after, up_to], newest first, stopping at the user's own message.
  // Returns the counts and whether such a message was met.
  std::pair<UnreadCount, bool> count_between(const std::string& user_id, const std::string& room_id,
                                             std::uint64_t after, std::uint64_t up_to);
  std::uint64_t read_position(const std::string& user_id, const std::string& room_id);

  static constexpr std::size_t kMaxScan = 500;       // events examined per count, at most
  static constexpr std::size_t kMaxKept = 200000;    // (user, room) pairs kept in memory
  // The room's side of the push context (members, power levels, the user's display name).
  PushContext context_for(const std::string& user_id, const std::string& room_id, const StatePtr& state);
  static PushEvent push_event(const Event& event);

  RoomEngine& rooms_;
  ReceiptStore& receipts_;
  PushRules& push_rules_;
  std::mutex mutex_;
  std::unordered_map<std::string, Kept> kept_;
};

}  // namespace domovoy
