#pragma once
// Token buckets keyed by user or address (API standards: "Rate limiting").
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace domovoy::http {

struct RateLimit {
  double per_second = 10;
  double burst = 50;
};

class RateLimiter {
 public:
  // Takes one token from `key`'s bucket. Returns 0 when allowed, else the milliseconds to wait.
  std::int64_t take(const std::string& key, const RateLimit& limit);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace domovoy::http
