// Exact fractions for ownership shares: lowest terms, exact sums, overflow refused, parsing.
#include "housing/registry/rational.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>


namespace domovoy::housing {
namespace {

constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
constexpr auto kMin = std::numeric_limits<std::int64_t>::min();

TEST(Rational, KeptInLowestTermsWithPositiveDenominator) {
  EXPECT_EQ(Rational(2, 4), Rational(1, 2));
  EXPECT_EQ(Rational(2, 4).numerator(), 1);
  EXPECT_EQ(Rational(2, 4).denominator(), 2);
  EXPECT_EQ(Rational(1, -2).numerator(), -1);
  EXPECT_EQ(Rational(1, -2).denominator(), 2);
  EXPECT_EQ(Rational(0, 5), Rational());
  EXPECT_EQ(Rational(0, 5).denominator(), 1);
  EXPECT_EQ(Rational(kMin, 2), Rational(kMin / 2));
}

TEST(Rational, ThirdsAddUpToExactlyOne) {
  EXPECT_EQ(Rational(1, 3) + Rational(1, 3) + Rational(1, 3), Rational(1));
  EXPECT_EQ(Rational(1, 2) + Rational(1, 3) + Rational(1, 6), Rational(1));
  Rational sum;
  for (int i = 0; i < 7; ++i) sum += Rational(1, 7);
  EXPECT_EQ(sum, Rational(1));
  EXPECT_EQ(Rational(1, 2) + Rational(1, 3), Rational(5, 6));
  EXPECT_EQ(Rational(1) - Rational(1, 3), Rational(2, 3));
  EXPECT_EQ(Rational(2, 3) * Rational(3, 4), Rational(1, 2));
}

TEST(Rational, Compares) {
  EXPECT_LT(Rational(1, 3), Rational(1, 2));
  EXPECT_GT(Rational(7, 6), Rational(1));
  EXPECT_LE(Rational(2, 6), Rational(1, 3));
  EXPECT_LT(Rational(-1, 2), Rational(0));
  EXPECT_LT(Rational(kMax - 1, kMax), Rational(1));
  EXPECT_GT(Rational(kMax, kMax - 1), Rational(1));
}

TEST(Rational, WritesFractionsAndIntegers) {
  EXPECT_EQ(Rational(5, 6).to_string(), "5/6");
  EXPECT_EQ(Rational(4, 2).to_string(), "2");
  EXPECT_EQ(Rational(-3).to_string(), "-3");
  EXPECT_EQ(Rational().to_string(), "0");
}

TEST(Rational, RefusesWhatDoesNotFitInsteadOfRounding) {
  EXPECT_THROW(Rational(kMax) + Rational(1), std::overflow_error);
  EXPECT_THROW(Rational(1, kMax) + Rational(1, kMax - 1), std::overflow_error);
  EXPECT_THROW(Rational(kMax) * Rational(2), std::overflow_error);
  EXPECT_THROW(Rational(kMin, -1), std::overflow_error);
  EXPECT_THROW(Rational(kMin) - Rational(1), std::overflow_error);
  // Large intermediates are fine when the result fits.
  EXPECT_EQ(Rational(kMax, 3) * Rational(3, kMax), Rational(1));
  EXPECT_EQ(Rational(1, kMax) + Rational(kMax - 1, kMax), Rational(1));
}

TEST(Rational, ZeroDenominatorIsAnError) { EXPECT_THROW(Rational(1, 0), std::invalid_argument); }

TEST(ParseFraction, ReadsFractionsAndIntegers) {
  EXPECT_EQ(parse_fraction("1/2"), Rational(1, 2));
  EXPECT_EQ(parse_fraction("3/6"), Rational(1, 2));
  EXPECT_EQ(parse_fraction("1"), Rational(1));
  EXPECT_EQ(parse_fraction("0/7"), Rational(0));
  EXPECT_EQ(parse_fraction("9223372036854775807/9223372036854775807"), Rational(1));
}

TEST(ParseFraction, RejectsEverythingElse) {
  for (const char* bad : {"", "/", "/2", "1/", "1/0", "-1/2", "1/-2", "+1/2", " 1/2", "1/2 ", "1 /2", "1/2/3", "a/b",
                          "0.5", "0,5", "½", "1e3", "9223372036854775808/1", "1/9223372036854775808"})
    EXPECT_FALSE(parse_fraction(bad)) << bad;
}

}  // namespace
}  // namespace domovoy::housing
