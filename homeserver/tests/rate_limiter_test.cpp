// Token-bucket rate limiting (http/rate_limiter.hpp). No assertions depend on wall-clock timing
// beyond "right after the burst is spent, the next take is refused".
#include <gtest/gtest.h>

#include "homeserver/http/rate_limiter.hpp"

namespace domovoy::http {
namespace {

TEST(RateLimiter, AllowsTheBurstThenRefuses) {
  RateLimiter limiter;
  RateLimit limit{/*per_second=*/0.001, /*burst=*/5};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.take("user:@a:x", limit), 0) << i;
  EXPECT_GT(limiter.take("user:@a:x", limit), 0);
  EXPECT_GT(limiter.take("user:@a:x", limit), 0) << "a refused take does not spend a token";
}

TEST(RateLimiter, RefusalSaysHowLongToWait) {
  RateLimiter limiter;
  RateLimit limit{/*per_second=*/0.01, /*burst=*/1};
  EXPECT_EQ(limiter.take("k", limit), 0);
  auto wait = limiter.take("k", limit);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 100000) << "one token at 0.01 per second takes at most 100 s";
  EXPECT_GT(wait, 90000) << "and nearly all of it right after the token was spent";
}

TEST(RateLimiter, KeysHaveSeparateBuckets) {
  RateLimiter limiter;
  RateLimit limit{0.001, 2};
  EXPECT_EQ(limiter.take("a", limit), 0);
  EXPECT_EQ(limiter.take("a", limit), 0);
  EXPECT_GT(limiter.take("a", limit), 0);
  EXPECT_EQ(limiter.take("b", limit), 0);
  EXPECT_EQ(limiter.take("b", limit), 0);
  EXPECT_GT(limiter.take("b", limit), 0);
}

TEST(RateLimiter, BurstOfOneAllowsExactlyOne) {
  RateLimiter limiter;
  RateLimit limit{0.001, 1};
  EXPECT_EQ(limiter.take("k", limit), 0);
  EXPECT_GT(limiter.take("k", limit), 0);
}

TEST(RateLimiter, FractionalBurstBelowOneAllowsNothing) {
  RateLimiter limiter;
  EXPECT_GT(limiter.take("k", RateLimit{0.001, 0.5}), 0);
}

TEST(RateLimiter, ManyKeysDoNotDisturbEachOther) {
  RateLimiter limiter;
  RateLimit limit{0.001, 1};
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.take("addr:" + std::to_string(i), limit), 0);
  for (int i = 0; i < 1000; ++i) EXPECT_GT(limiter.take("addr:" + std::to_string(i), limit), 0);
}

}  // namespace
}  // namespace domovoy::http
