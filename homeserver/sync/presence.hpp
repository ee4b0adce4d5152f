#pragma once
// Presence (modules/presence.md): online, unavailable or offline, with a status message. Kept in
// memory with a serial so /sync can send what changed; after a restart everyone is offline.
// Users are never forgotten here: one entry per user who was ever seen (bounded by accounts).
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace domovoy {

struct PresenceState {
  std::string user_id;
  std::string presence;  // online, unavailable, offline
  std::string status_msg;
  std::int64_t last_active_ts = 0;
  std::uint64_t serial = 0;
};

class PresenceTracker {
 public:
  // Returns true when something clients see changed (and so the serial moved).
  bool set(const std::string& user_id, const std::string& presence, std::optional<std::string> status_msg);
  std::optional<PresenceState> get(const std::string& user_id) const;
  // States changed after `serial` (all known states for 0), in the order of their changes. Costs
  // the changes, not the number of users: every woken /sync asks.
  std::vector<PresenceState> changed_since(std::uint64_t serial) const;
  std::uint64_t serial() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, PresenceState> states_;
  std::map<std::uint64_t, std::string> user_by_serial_;  // each user at their last change
  std::uint64_t serial_ = 0;
};

}  // namespace domovoy
