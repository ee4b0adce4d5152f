#include "homeserver/sync/presence.hpp"
#include "homeserver/core/clock.hpp"

#include "homeserver/core/random.hpp"

namespace domovoy {

bool PresenceTracker::set(const std::string& user_id, const std::string& presence,
                          std::optional<std::string> status_msg) {
  std::lock_guard lock(mutex_);
  auto& state = states_[user_id];
  bool changed = state.presence != presence || (status_msg && *status_msg != state.status_msg);
  state.user_id = user_id;
  state.presence = presence;
  if (status_msg) state.status_msg = *status_msg;
  if (presence == "online") state.last_active_ts = now_ms();
  if (changed) {
    if (state.serial) user_by_serial_.erase(state.serial);
    state.serial = ++serial_;
    user_by_serial_.emplace(state.serial, user_id);
  }
  return changed;
}

std::optional<PresenceState> PresenceTracker::get(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(user_id);
  if (it == states_.end()) return std::nullopt;
  return it->second;
}

std::vector<PresenceState> PresenceTracker::changed_since(std::uint64_t serial) const {
  std::lock_guard lock(mutex_);
  std::vector<PresenceState> changed;
  for (auto it = user_by_serial_.upper_bound(serial); it != user_by_serial_.end(); ++it)
    changed.push_back(states_.at(it->second));
  return changed;
}

std::uint64_t PresenceTracker::serial() const {
  std::lock_guard lock(mutex_);
  return serial_;
}

}  // namespace domovoy
