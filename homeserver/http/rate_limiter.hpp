#pragma once
// Token buckets keyed by user or address (API standards: "Rate limiting").
//
// Memory is bounded: at most `max_buckets` buckets exist (the least recently used one is dropped
// first, which only hands that key a fresh burst). Buckets that have refilled completely carry no
// information and are dropped as they reach the front of their shard's last-use list, so expiry
// costs O(1) amortised per call. Keys are spread over shards with a mutex each, so that network
// threads do not queue on one lock.
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace domovoy::http {

struct RateLimit {
  double per_second = 10;
  double burst = 50;
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Options {
    std::size_t max_buckets = 100000;
    std::size_t shards = 16;
  };

  RateLimiter() : RateLimiter(Options{}) {}
  explicit RateLimiter(Options options, Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Takes one token from `key`'s bucket, which from now on refills by `limit`.
  // Returns 0 when allowed, else the milliseconds to wait.
  std::int64_t take(const std::string& key, const RateLimit& limit);

  // How many buckets are held (for tests and metrics).
  std::size_t size() const;

 private:
  struct Bucket {
    std::string key;
    RateLimit limit;  // its own: a full bucket is judged by the rate it refills at, not the caller's
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  // Least recently used at the front; the index points into the list, whose nodes never move.
  struct Shard {
    mutable std::mutex mutex;
    std::list<Bucket> by_last_use;
    std::unordered_map<std::string_view, std::list<Bucket>::iterator> index;
  };

  Shard& shard_of(const std::string& key);
  static bool is_full(const Bucket& bucket, std::chrono::steady_clock::time_point now);

  std::size_t max_per_shard_;
  Clock clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace domovoy::http
