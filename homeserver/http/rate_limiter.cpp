#include "homeserver/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace domovoy::http {

RateLimiter::RateLimiter(Options options, Clock clock) : clock_(std::move(clock)) {
  auto shard_count = std::max<std::size_t>(1, options.shards);
  max_per_shard_ = std::max<std::size_t>(1, options.max_buckets / shard_count);
  shards_.reserve(shard_count);
  for (std::size_t i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<Shard>());
}

RateLimiter::Shard& RateLimiter::shard_of(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

bool RateLimiter::is_full(const Bucket& bucket, std::chrono::steady_clock::time_point now) {
  double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  return bucket.tokens + elapsed * bucket.limit.per_second >= bucket.limit.burst;
}

std::int64_t RateLimiter::take(const std::string& key, const RateLimit& limit) {
  const auto now = clock_();
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  // Each bucket is dropped at most once, so this loop costs O(1) amortised per call. It stops at
  // the first bucket still refilling; full ones behind it wait for their turn or for the bound.
  while (!shard.by_last_use.empty() && is_full(shard.by_last_use.front(), now)) {
    shard.index.erase(shard.by_last_use.front().key);
    shard.by_last_use.pop_front();
  }
  std::list<Bucket>::iterator bucket;
  if (auto found = shard.index.find(key); found != shard.index.end()) {
    bucket = found->second;
    shard.by_last_use.splice(shard.by_last_use.end(), shard.by_last_use, bucket);
    double elapsed = std::chrono::duration<double>(now - bucket->updated).count();
    bucket->tokens = std::min(limit.burst, bucket->tokens + elapsed * limit.per_second);
  } else {
    if (shard.by_last_use.size() >= max_per_shard_) {
      shard.index.erase(shard.by_last_use.front().key);
      shard.by_last_use.pop_front();
    }
    bucket = shard.by_last_use.insert(shard.by_last_use.end(), Bucket{key, limit, limit.burst, now});
    shard.index.emplace(bucket->key, bucket);
  }
  bucket->limit = limit;
  bucket->updated = now;
  if (bucket->tokens >= 1.0) {
    bucket->tokens -= 1.0;
    return 0;
  }
  return static_cast<std::int64_t>(std::ceil((1.0 - bucket->tokens) / limit.per_second * 1000.0));
}

std::size_t RateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->by_last_use.size();
  }
  return total;
}

}  // namespace domovoy::http
