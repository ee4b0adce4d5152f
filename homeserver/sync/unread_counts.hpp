#pragma once
// Unread notification and highlight counts per user and room, as the default push rules would
// notify: messages and encrypted events from others after the user's read receipt (or their own
// last message); notices do not count; a mention of the user or @room highlights.
//
// Counts are kept per (user, room) and brought forward from the position they were counted up
// to, so a woken /sync in a busy room of thousands looks at the new events only, not back to
// the user's receipt each time.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/sync/receipt_store.hpp"

namespace domovoy {

struct UnreadCount {
  std::int64_t notifications = 0;
  std::int64_t highlights = 0;
};

class UnreadCounts {
 public:
  UnreadCounts(RoomEngine& rooms, ReceiptStore& receipts) : rooms_(rooms), receipts_(receipts) {}

  // The counts of `user_id` in `room_id` at stream position `up_to`.
  UnreadCount at(const std::string& user_id, const std::string& room_id, std::uint64_t up_to);

 private:
  struct Kept {
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
  RoomEngine& rooms_;
  ReceiptStore& receipts_;
  std::mutex mutex_;
  std::unordered_map<std::string, Kept> kept_;
};

}  // namespace domovoy
