#include "homeserver/sync/typing.hpp"

namespace domovoy {

void TypingTracker::expire(const std::string& room_id, std::chrono::steady_clock::time_point now) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  bool changed = std::erase_if(it->second.until, [&](const auto& entry) { return entry.second <= now; }) > 0;
  if (changed) it->second.serial = ++serial_;
}

bool TypingTracker::set_typing(const std::string& room_id, const std::string& user_id, bool typing,
                               std::int64_t timeout_ms) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  expire(room_id, now);
  auto& room = rooms_[room_id];
  bool was_typing = room.until.count(user_id) > 0;
  if (typing) room.until[user_id] = now + std::chrono::milliseconds(std::clamp<std::int64_t>(timeout_ms, 0, 120000));
  else room.until.erase(user_id);
  bool changed = was_typing != typing;
  if (changed) room.serial = ++serial_;
  return changed;
}

std::vector<std::string> TypingTracker::typing_users(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  expire(room_id, std::chrono::steady_clock::now());
  std::vector<std::string> users;
  if (auto it = rooms_.find(room_id); it != rooms_.end())
    for (const auto& [user, until] : it->second.until) users.push_back(user);
  return users;
}

std::uint64_t TypingTracker::room_serial(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  expire(room_id, std::chrono::steady_clock::now());
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? 0 : it->second.serial;
}

std::uint64_t TypingTracker::serial() const {
  std::lock_guard lock(mutex_);
  return serial_;
}

}  // namespace domovoy
