// The per-account limit on failed password attempts (accounts/failed_login_limiter.hpp), on a
// clock the test moves: no sleeping.
#include <gtest/gtest.h>

#include "homeserver/accounts/failed_login_limiter.hpp"

namespace domovoy {
namespace {

using namespace std::chrono_literals;

class FailedLoginLimiterTest : public ::testing::Test {
 protected:
  FailedLoginLimiter limiter{{/*per_second=*/0.17, /*burst=*/3}, /*enabled=*/true, [this] { return now; }};
  std::chrono::steady_clock::time_point now{};
};

TEST_F(FailedLoginLimiterTest, BurstOfFailuresThenEveryAttemptWaits) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.wait_ms("@a:x"), 0) << i;
    limiter.record_failure("@a:x");
  }
  auto wait = limiter.wait_ms("@a:x");
  EXPECT_GT(wait, 5000);
  EXPECT_LE(wait, 5883) << "one attempt back after 1/0.17 s";
}

TEST_F(FailedLoginLimiterTest, AttemptsThatSucceedCostNothing) {
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.wait_ms("@a:x"), 0);
}

TEST_F(FailedLoginLimiterTest, FailuresArePaidOffOverTime) {
  for (int i = 0; i < 3; ++i) limiter.record_failure("@a:x");
  now += 5s;
  EXPECT_GT(limiter.wait_ms("@a:x"), 0);
  now += 1s;
  EXPECT_EQ(limiter.wait_ms("@a:x"), 0) << "after 6 s one token (0.17/s) is back";
  limiter.record_failure("@a:x");
  EXPECT_GT(limiter.wait_ms("@a:x"), 0);
}

TEST_F(FailedLoginLimiterTest, AccountsAreLimitedSeparately) {
  for (int i = 0; i < 3; ++i) limiter.record_failure("@a:x");
  EXPECT_GT(limiter.wait_ms("@a:x"), 0);
  EXPECT_EQ(limiter.wait_ms("@b:x"), 0);
}

TEST(FailedLoginLimiter, DisabledLimiterAllowsEverything) {
  FailedLoginLimiter limiter({0.17, 3}, /*enabled=*/false);
  for (int i = 0; i < 10; ++i) limiter.record_failure("@a:x");
  EXPECT_EQ(limiter.wait_ms("@a:x"), 0);
}

}  // namespace
}  // namespace domovoy
