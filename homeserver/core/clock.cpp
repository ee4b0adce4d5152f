#include "homeserver/core/clock.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

namespace domovoy {

namespace {
std::atomic<bool> test_clock_on{false};
std::atomic<std::int64_t> offset_ms{0};  // added to the system clock
std::mutex listeners_mutex;
std::vector<std::function<void()>> listeners;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::int64_t now_ms() { return system_now_ms() + offset_ms.load(std::memory_order_relaxed); }

namespace test_clock {
void enable() { test_clock_on = true; }
bool enabled() { return test_clock_on; }
bool set(std::int64_t now) {
  if (!test_clock_on) return false;
  offset_ms = now - system_now_ms();
  std::vector<std::function<void()>> to_call;
  {
    std::lock_guard lock(listeners_mutex);
    to_call = listeners;
  }
  for (const auto& listener : to_call) listener();
  return true;
}
void on_set(std::function<void()> listener) {
  std::lock_guard lock(listeners_mutex);
  listeners.push_back(std::move(listener));
}
}  // namespace test_clock

}  // namespace domovoy
