// Token-bucket rate limiting (http/rate_limiter.hpp). Time comes from a hand-moved clock, so
// nothing here sleeps or depends on how fast the machine is.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "homeserver/http/rate_limiter.hpp"

namespace domovoy::http {
namespace {

struct ManualClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  void advance(std::chrono::milliseconds by) { now += by; }
  RateLimiter::Clock source() {
    return [this] { return now; };
  }
};

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiter make(RateLimiter::Options options = {}) { return RateLimiter(options, clock.source()); }
  ManualClock clock;
};

TEST_F(RateLimiterTest, AllowsTheBurstThenRefuses) {
  auto limiter = make();
  RateLimit limit{/*per_second=*/0.001, /*burst=*/5};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.take("user:@a:x", limit), 0) << i;
  EXPECT_GT(limiter.take("user:@a:x", limit), 0);
  EXPECT_GT(limiter.take("user:@a:x", limit), 0) << "a refused take does not spend a token";
}

TEST_F(RateLimiterTest, RefusalSaysHowLongToWait) {
  auto limiter = make();
  RateLimit limit{/*per_second=*/0.01, /*burst=*/1};
  EXPECT_EQ(limiter.take("k", limit), 0);
  EXPECT_EQ(limiter.take("k", limit), 100000) << "one token at 0.01 per second takes 100 s";
  clock.advance(std::chrono::seconds(40));
  EXPECT_EQ(limiter.take("k", limit), 60000);
}

TEST_F(RateLimiterTest, RefillsAsTheClockMoves) {
  auto limiter = make();
  RateLimit limit{/*per_second=*/1, /*burst=*/2};
  EXPECT_EQ(limiter.take("k", limit), 0);
  EXPECT_EQ(limiter.take("k", limit), 0);
  EXPECT_GT(limiter.take("k", limit), 0);
  clock.advance(std::chrono::milliseconds(999));
  EXPECT_GT(limiter.take("k", limit), 0);
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(limiter.take("k", limit), 0);
  EXPECT_GT(limiter.take("k", limit), 0);
}

TEST_F(RateLimiterTest, KeysHaveSeparateBuckets) {
  auto limiter = make();
  RateLimit limit{0.001, 2};
  EXPECT_EQ(limiter.take("a", limit), 0);
  EXPECT_EQ(limiter.take("a", limit), 0);
  EXPECT_GT(limiter.take("a", limit), 0);
  EXPECT_EQ(limiter.take("b", limit), 0);
  EXPECT_EQ(limiter.take("b", limit), 0);
  EXPECT_GT(limiter.take("b", limit), 0);
}

TEST_F(RateLimiterTest, BurstOfOneAllowsExactlyOne) {
  auto limiter = make();
  RateLimit limit{0.001, 1};
  EXPECT_EQ(limiter.take("k", limit), 0);
  EXPECT_GT(limiter.take("k", limit), 0);
}

TEST_F(RateLimiterTest, FractionalBurstBelowOneAllowsNothing) {
  auto limiter = make();
  EXPECT_GT(limiter.take("k", RateLimit{0.001, 0.5}), 0);
}

TEST_F(RateLimiterTest, ManyKeysDoNotDisturbEachOther) {
  auto limiter = make();
  RateLimit limit{0.001, 1};
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.take("addr:" + std::to_string(i), limit), 0);
  for (int i = 0; i < 1000; ++i) EXPECT_GT(limiter.take("addr:" + std::to_string(i), limit), 0);
}

TEST_F(RateLimiterTest, RefilledBucketsAreForgotten) {
  auto limiter = make({.max_buckets = 1000, .shards = 1});
  RateLimit limit{/*per_second=*/1, /*burst=*/2};
  for (int i = 0; i < 10; ++i) limiter.take("addr:" + std::to_string(i), limit);
  EXPECT_EQ(limiter.size(), 10u);
  clock.advance(std::chrono::seconds(2));
  limiter.take("addr:new", limit);
  EXPECT_EQ(limiter.size(), 1u) << "the ten refilled buckets carry nothing and are dropped";
}

TEST_F(RateLimiterTest, EachBucketIsJudgedByItsOwnLimit) {
  // The old sweep judged every bucket by the caller's limit: a flood of requests under a fast
  // limit reset the slow login buckets of everyone else.
  auto limiter = make({.max_buckets = 1000, .shards = 1});
  RateLimit login{/*per_second=*/0.001, /*burst=*/1};
  RateLimit fast{/*per_second=*/1000, /*burst=*/1};
  EXPECT_EQ(limiter.take("login:1.2.3.4", login), 0);
  clock.advance(std::chrono::seconds(10));
  for (int i = 0; i < 100; ++i) limiter.take("addr:" + std::to_string(i), fast);
  EXPECT_GT(limiter.take("login:1.2.3.4", login), 0) << "a login bucket 1% refilled is not full";
}

TEST_F(RateLimiterTest, NeverHoldsMoreThanTheBound) {
  auto limiter = make({.max_buckets = 64, .shards = 16});
  RateLimit slow{0.001, 1};
  for (int i = 0; i < 10000; ++i) limiter.take("addr:" + std::to_string(i), slow);
  EXPECT_LE(limiter.size(), 64u);
  EXPECT_GT(limiter.size(), 0u);
}

TEST_F(RateLimiterTest, TheLeastRecentlyUsedBucketIsDroppedFirst) {
  auto limiter = make({.max_buckets = 3, .shards = 1});
  RateLimit slow{0.001, 1};
  EXPECT_EQ(limiter.take("a", slow), 0);
  EXPECT_EQ(limiter.take("b", slow), 0);
  EXPECT_EQ(limiter.take("c", slow), 0);
  EXPECT_GT(limiter.take("a", slow), 0) << "touching a makes b the least recently used";
  EXPECT_EQ(limiter.take("d", slow), 0);
  EXPECT_EQ(limiter.size(), 3u);
  EXPECT_GT(limiter.take("a", slow), 0) << "a was kept";
  EXPECT_GT(limiter.take("c", slow), 0) << "c was kept";
  EXPECT_EQ(limiter.take("b", slow), 0) << "b was dropped, so it starts with a fresh burst";
}

TEST_F(RateLimiterTest, ABucketRefillsAtTheLimitLastGiven) {
  auto limiter = make({.max_buckets = 1000, .shards = 1});
  EXPECT_EQ(limiter.take("k", RateLimit{0.001, 1}), 0);
  EXPECT_GT(limiter.take("k", RateLimit{1, 1}), 0);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(limiter.take("k", RateLimit{1, 1}), 0);
}

TEST_F(RateLimiterTest, ConcurrentTakesSpendEachTokenOnce) {
  auto limiter = make();
  RateLimit limit{/*per_second=*/0.001, /*burst=*/100};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.take("shared", limit) == 0) allowed.fetch_add(1);
        limiter.take("own:" + std::to_string(i), limit);
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace domovoy::http
