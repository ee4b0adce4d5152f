#pragma once
// Positions in the server's single stream (events, receipts, account data). Writers in
// different rooms commit concurrently and can finish out of order, so readers may only see up
// to the position below which every allocated position has completed. Work that must wait for
// a position to become visible (waking long-polls) is queued here and run once it is.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace domovoy {

namespace storage {
class Database;
}

class StreamTracker {
 public:
  using Callback = std::function<void()>;

  // Starts after the greatest position recorded in the database.
  explicit StreamTracker(const storage::Database& database);
  explicit StreamTracker(std::uint64_t last_persisted) : last_allocated_(last_persisted) {}

  std::uint64_t allocate() {
    std::lock_guard lock(mutex_);
    auto position = ++last_allocated_;
    pending_.insert(position);
    return position;
  }

  // Called after the write succeeded or failed: either way the position no longer holds readers
  // back. `when_visible` runs (on some completing thread) once current() >= position.
  void complete(std::uint64_t position, Callback when_visible = {}) {
    std::vector<Callback> ready;
    {
      std::lock_guard lock(mutex_);
      pending_.erase(position);
      if (when_visible) waiting_.emplace(position, std::move(when_visible));
      auto visible = current_locked();
      while (!waiting_.empty() && waiting_.begin()->first <= visible) {
        ready.push_back(std::move(waiting_.begin()->second));
        waiting_.erase(waiting_.begin());
      }
    }
    for (auto& callback : ready) callback();
  }

  // Every position <= current() is durable (or was abandoned).
  std::uint64_t current() const {
    std::lock_guard lock(mutex_);
    return current_locked();
  }

  // Completes the position when it goes out of scope, also when the write throws.
  class Slot {
   public:
    explicit Slot(StreamTracker& tracker) : tracker_(tracker), position_(tracker.allocate()) {}
    ~Slot() { release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    std::uint64_t position() const { return position_; }
    void release(Callback when_visible = {}) {
      if (!released_) tracker_.complete(position_, std::move(when_visible));
      released_ = true;
    }

   private:
    StreamTracker& tracker_;
    std::uint64_t position_;
    bool released_ = false;
  };

 private:
  std::uint64_t current_locked() const { return pending_.empty() ? last_allocated_ : *pending_.begin() - 1; }

  mutable std::mutex mutex_;
  std::uint64_t last_allocated_;
  std::set<std::uint64_t> pending_;
  std::multimap<std::uint64_t, Callback> waiting_;
};

}  // namespace domovoy
