// Exact rationals of any size and the single rounding the law needs: half up, to a kopeck.
#include "housing/law/exact.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace domovoy::housing::law {
namespace {

TEST(LawExact, ConvertsRationalsAndDecimalsExactly) {
  EXPECT_EQ(to_exact(Rational(1, 3)) * 3, Exact(1));
  EXPECT_EQ(to_exact(Decimal{123456, 3}), Exact(123456, 1000));
  EXPECT_EQ(to_exact(Decimal{-5, 1}), Exact(-1, 2));
  EXPECT_EQ(to_exact(Decimal{42, 0}), Exact(42));
}

TEST(LawExact, SumsBeyondSixtyFourBits) {
  // 1/p for the primes up to 53: the common denominator 32589158477190044730 is above 2^64,
  // which is where Rational gives up.
  Exact sum;
  Rational narrow;
  bool narrow_overflowed = false;
  for (int prime : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53}) {
    sum += Exact(1, prime);
    try {
      narrow += Rational(1, prime);
    } catch (const std::overflow_error&) {
      narrow_overflowed = true;
    }
  }
  EXPECT_TRUE(narrow_overflowed);
  EXPECT_EQ(boost::multiprecision::denominator(sum).str(), "32589158477190044730");
  EXPECT_GT(sum, Exact(1));
}

TEST(LawExact, RoundsHalvesAwayFromZero) {
  EXPECT_EQ(round_half_up(Exact(5, 2)), 3);     // 2.5
  EXPECT_EQ(round_half_up(Exact(249, 100)), 2);  // 2.49
  EXPECT_EQ(round_half_up(Exact(251, 100)), 3);  // 2.51
  EXPECT_EQ(round_half_up(Exact(-5, 2)), -3);    // a credit rounds the same way, mirrored
  EXPECT_EQ(round_half_up(Exact(-249, 100)), -2);
  EXPECT_EQ(round_half_up(Exact(1, 3)), 0);
  EXPECT_EQ(round_half_up(Exact(2, 3)), 1);
  EXPECT_EQ(round_half_up(Exact(7)), 7);
}

TEST(LawExact, RoundsToDecimals) {
  EXPECT_EQ(round_half_up(Exact(31, 3), 3), (Decimal{10333, 3}));  // 10.3333...
  EXPECT_EQ(round_half_up(Exact(32, 3), 3), (Decimal{10667, 3}));  // 10.6666...
  EXPECT_EQ(round_half_up(Exact(1, 8), 2), (Decimal{13, 2}));      // 0.125 -> 0.13
  EXPECT_THROW(round_half_up(Exact(1), 19), std::invalid_argument);
}

TEST(LawExact, TruncatesTowardZero) {
  EXPECT_EQ(truncate(Exact(7, 2)), 3);
  EXPECT_EQ(truncate(Exact(-7, 2)), -3);
}

TEST(LawExact, RefusesWhatDoesNotFitSixtyFourBits) {
  Exact huge = Exact(std::numeric_limits<std::int64_t>::max()) + 1;
  EXPECT_THROW(round_half_up(huge), std::overflow_error);
  EXPECT_EQ(round_half_up(huge - 1), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(round_half_up(Exact(std::numeric_limits<std::int64_t>::min())), std::numeric_limits<std::int64_t>::min());
}

}  // namespace
}  // namespace domovoy::housing::law
