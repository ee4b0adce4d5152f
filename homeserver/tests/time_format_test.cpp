// ISO 8601 times of the admin API (core/time_format.hpp), and the test clock (core/clock.hpp).
#include <gtest/gtest.h>

#include <chrono>

#include "homeserver/core/clock.hpp"
#include "homeserver/core/time_format.hpp"

namespace domovoy {
namespace {

TEST(TimeFormat, RoundTripsUtcTimes) {
  auto parsed = parse_iso8601("2026-12-20T10:00:00Z");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, 1797760800000);
  EXPECT_EQ(format_iso8601(*parsed), "2026-12-20T10:00:00Z");
  EXPECT_EQ(format_iso8601(*parsed + 5), "2026-12-20T10:00:00.005Z");
  EXPECT_EQ(parse_iso8601("2026-12-20T10:00:00.5Z"), *parsed + 500);
}

TEST(TimeFormat, ReadsOffsetsAndDates) {
  EXPECT_EQ(parse_iso8601("2026-12-20T13:00:00+03:00"), parse_iso8601("2026-12-20T10:00:00Z"));
  EXPECT_EQ(parse_iso8601("2026-12-20"), parse_iso8601("2026-12-20T00:00:00Z"));
}

TEST(TimeFormat, RefusesMalformedTimes) {
  for (auto text : {"", "2026-13-01", "2026-02-30", "2026-12-20T10:00:00", "2026-12-20T25:00:00Z", "20261220",
                    "2026-12-20T10:00:00Zjunk", "2026-12-20T10:00Z", "abcd-ef-ghT00:00:00Z"})
    EXPECT_FALSE(parse_iso8601(text)) << text;
}

TEST(TestClock, MovesOnlyWhenEnabledAndRunsOn) {
  auto target = *parse_iso8601("2030-01-01T00:00:00Z");
  if (!test_clock::enabled()) {
    EXPECT_FALSE(test_clock::set(target));
    EXPECT_LT(now_ms(), target);
    test_clock::enable();
  }
  ASSERT_TRUE(test_clock::set(target));
  auto now = now_ms();
  EXPECT_GE(now, target);
  EXPECT_LT(now, target + 60'000);  // it runs on from the time set, not from the real time
  ASSERT_TRUE(test_clock::set(target - 1000LL * 86400 * 365 * 10));
  EXPECT_LT(now_ms(), target);
  // Back to the real time for the tests that run after this one in the same process.
  test_clock::set(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace
}  // namespace domovoy
