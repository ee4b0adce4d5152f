#pragma once
// The newest stream position written per key (a room's receipts, a user's account data), so a
// store can answer "anything since N?" without a read. Positions only move forward.
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace domovoy {

class LatestPositions {
 public:
  void note(const std::string& key, std::uint64_t position) {
    std::lock_guard lock(mutex_);
    auto& latest = latest_[key];
    latest = std::max(latest, position);
  }
  // nullopt when nothing was noted for the key since the start: the store then reads it.
  std::optional<std::uint64_t> find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = latest_.find(key);
    if (it == latest_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> latest_;
};

}  // namespace domovoy
