#pragma once
// Positions in the server's single stream (events, receipts, account data). Writers in
// different rooms commit concurrently and can finish out of order, so readers may only see up
// to the position below which every allocated position has completed.
#include <cstdint>
#include <mutex>
#include <set>

namespace domovoy {

namespace storage {
class Database;
}

class StreamTracker {
 public:
  // Starts after the greatest position recorded in the database.
  explicit StreamTracker(const storage::Database& database);
  explicit StreamTracker(std::uint64_t last_persisted) : last_allocated_(last_persisted) {}

  std::uint64_t allocate() {
    std::lock_guard lock(mutex_);
    auto position = ++last_allocated_;
    pending_.insert(position);
    return position;
  }
  // Called after the write succeeded or failed: either way the position no longer holds readers back.
  void complete(std::uint64_t position) {
    std::lock_guard lock(mutex_);
    pending_.erase(position);
  }
  // Every position <= current() is durable (or was abandoned).
  std::uint64_t current() const {
    std::lock_guard lock(mutex_);
    return pending_.empty() ? last_allocated_ : *pending_.begin() - 1;
  }

  // Completes the position when it goes out of scope, also when the write throws.
  class Slot {
   public:
    explicit Slot(StreamTracker& tracker) : tracker_(tracker), position_(tracker.allocate()) {}
    ~Slot() { tracker_.complete(position_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    std::uint64_t position() const { return position_; }

   private:
    StreamTracker& tracker_;
    std::uint64_t position_;
  };

 private:
  mutable std::mutex mutex_;
  std::uint64_t last_allocated_;
  std::set<std::uint64_t> pending_;
};

}  // namespace domovoy
