#include "homeserver/accounts/failed_login_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace domovoy {

FailedLoginLimiter::FailedLoginLimiter(Limit limit, bool enabled, Clock clock)
    : limit_(limit), enabled_(enabled), clock_(std::move(clock)) {}

FailedLoginLimiter::Bucket& FailedLoginLimiter::refilled(const std::string& user_id,
                                                         std::chrono::steady_clock::time_point now) {
  if (buckets_.size() >= kMaxBuckets) {
    // A bucket that has refilled completely carries no information: forget it.
    std::erase_if(buckets_, [&](const auto& entry) {
      double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
      return entry.second.tokens + elapsed * limit_.per_second >= limit_.burst;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(user_id, Bucket{limit_.burst, now});
  auto& bucket = it->second;
  double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(limit_.burst, bucket.tokens + std::max(0.0, elapsed) * limit_.per_second);
  bucket.updated = now;
  return bucket;
}

std::int64_t FailedLoginLimiter::wait_ms(const std::string& user_id) {
  if (!enabled_) return 0;
  std::lock_guard lock(mutex_);
  auto& bucket = refilled(user_id, clock_());
  if (bucket.tokens >= 1.0) return 0;
  return static_cast<std::int64_t>(std::ceil((1.0 - bucket.tokens) / limit_.per_second * 1000.0));
}

void FailedLoginLimiter::record_failure(const std::string& user_id) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  auto& bucket = refilled(user_id, clock_());
  bucket.tokens = std::max(0.0, bucket.tokens - 1.0);
}

}  // namespace domovoy
