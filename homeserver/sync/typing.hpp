#pragma once
// Who is typing in which room. Ephemeral: kept in memory only, with its own serial so that a
// sync token can tell whether typing changed since.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace domovoy {

class TypingTracker {
 public:
  // Returns true when the set of typing users changed.
  bool set_typing(const std::string& room_id, const std::string& user_id, bool typing, std::int64_t timeout_ms);
  std::vector<std::string> typing_users(const std::string& room_id);
  // Serial of the last change in the room (0: never).
  std::uint64_t room_serial(const std::string& room_id);
  std::uint64_t serial() const;

 private:
  void expire(const std::string& room_id, std::chrono::steady_clock::time_point now);
  struct RoomTyping {
    std::map<std::string, std::chrono::steady_clock::time_point> until;
    std::uint64_t serial = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, RoomTyping> rooms_;
  std::uint64_t serial_ = 0;
};

}  // namespace domovoy
