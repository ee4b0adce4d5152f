#pragma once
// Unread notification and highlight counts per user and room: the events from others after the
// user's read receipt (or their own last message) for which the user's push rules say "notify"
// (and "highlight"), evaluated with the room's member count, the user's display name there and
// the sender's power, as the spec's push rules define.
//
// Counts are per thread as well ("Threaded read receipts"): an unthreaded receipt reads the
// whole room up to its event, a receipt for "main" or a thread root only the events of that
// timeline. A client that has never sent a threaded receipt keeps the simpler rule that its
// user's own message reads everything before it; for the others it reads its own thread.
//
// Counts are kept per (user, room) and brought forward from the position they were counted up
// to, so a woken /sync in a busy room of thousands looks at the new events only, not back to
// the user's receipt each time.
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "homeserver/push/push_rules.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/sync/receipt_store.hpp"

namespace domovoy {

struct UnreadCount {
  std::int64_t notifications = 0;
  std::int64_t highlights = 0;

  void add(const UnreadCount& other) {
    notifications += other.notifications;
    highlights += other.highlights;
  }
};

struct RoomUnread {
  UnreadCount total;                           // the whole room
  UnreadCount main;                            // the main timeline (thread roots included)
  std::map<std::string, UnreadCount> threads;  // thread root -> its unread events (none: omitted)
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
  RoomUnread at(const std::string& user_id, const std::string& room_id, std::uint64_t up_to);

  // Where the user's receipts (the later of m.read and m.read.private, for each) have read to.
  struct ReadPositions {
    std::uint64_t unthreaded = 0;
    std::map<std::string, std::uint64_t> threads;  // "main" and thread roots
    bool operator==(const ReadPositions&) const = default;
    std::uint64_t of(const std::string& thread) const;
    std::uint64_t highest() const;
  };
  ReadPositions read_positions(const std::string& user_id, const std::string& room_id);
  // Whether those receipts have read the event (by its thread's receipt or an unthreaded one).
  bool has_read(const ReadPositions& read, const Event& event);

 private:
  using ThreadCounts = std::map<std::string, UnreadCount>;  // "main" and thread roots
  struct Kept {
    std::uint64_t rules_generation = 0;  // the rules counted with (a change of them counts afresh)
    ReadPositions read;                  // the receipts the counts start after
    std::uint64_t counted_up_to = 0;
    ThreadCounts counts;
  };
  struct Counted {
    ThreadCounts counts;
    std::set<std::string> closed;  // threads in which the user's own message read what came before
    bool all_closed = false;       // an own message read the whole room before it
  };
  // Counts the unread events in (after, up_to], newest first, at most kMaxScan of them.
  Counted count_between(const std::string& user_id, const std::string& room_id, const ReadPositions& read,
                        std::uint64_t after, std::uint64_t up_to);

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
