#include "homeserver/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace domovoy::http {

std::int64_t RateLimiter::take(const std::string& key, const RateLimit& limit) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > 100000) {
    // Forget buckets that have refilled completely: they carry no information.
    std::erase_if(buckets_, [&](const auto& entry) {
      double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
      return entry.second.tokens + elapsed * limit.per_second >= limit.burst;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{limit.burst, now});
  auto& bucket = it->second;
  double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(limit.burst, bucket.tokens + elapsed * limit.per_second);
  bucket.updated = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  return static_cast<std::int64_t>(std::ceil((1.0 - bucket.tokens) / limit.per_second * 1000.0));
}

}  // namespace domovoy::http
