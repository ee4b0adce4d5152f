// Decimals of different scales compared and combined by value, as consumption = new - previous.
#include "housing/law/decimal_arithmetic.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace domovoy::housing::law {
namespace {

TEST(LawDecimalArithmetic, ComparesByValueAcrossScales) {
  EXPECT_EQ(compare(Decimal{12, 1}, Decimal{120, 2}), std::strong_ordering::equal);  // 1.2 == 1.20
  EXPECT_NE((Decimal{12, 1}), (Decimal{120, 2}));  // which member-wise == does not see
  EXPECT_TRUE(same_value(Decimal{12, 1}, Decimal{120, 2}));
  EXPECT_EQ(compare(Decimal{1234, 1}, Decimal{123456, 3}), std::strong_ordering::less);  // 123.4 < 123.456
  EXPECT_EQ(compare(Decimal{124, 0}, Decimal{123999, 3}), std::strong_ordering::greater);
  EXPECT_EQ(compare(Decimal{-1, 0}, Decimal{0, 5}), std::strong_ordering::less);
}

TEST(LawDecimalArithmetic, SubtractsAtTheLargerScale) {
  // 123.456 - 123.4 = 0.056
  EXPECT_EQ(subtract(Decimal{123456, 3}, Decimal{1234, 1}), (Decimal{56, 3}));
  // 100 - 99.99 = 0.01
  EXPECT_EQ(subtract(Decimal{100, 0}, Decimal{9999, 2}), (Decimal{1, 2}));
  // 5 - 7.5 = -2.5
  EXPECT_EQ(subtract(Decimal{5, 0}, Decimal{75, 1}), (Decimal{-25, 1}));
  EXPECT_EQ(add(Decimal{15, 1}, Decimal{25, 2}), (Decimal{175, 2}));  // 1.5 + 0.25
}

TEST(LawDecimalArithmetic, MultipliesExactly) {
  // heat norm 0.0203 Gcal/m² × 54.30 m² = 1.102290 Gcal
  EXPECT_EQ(multiply(Decimal{203, 4}, Decimal{5430, 2}), (Decimal{1102290, 6}));
  // cold water norm 4.745 m³ × 3 persons = 14.235 m³
  EXPECT_EQ(multiply(Decimal{4745, 3}, 3), (Decimal{14235, 3}));
}

TEST(LawDecimalArithmetic, RescalesUpOnly) {
  EXPECT_EQ(rescale(Decimal{123, 1}, 3), (Decimal{12300, 3}));
  EXPECT_THROW(rescale(Decimal{12300, 3}, 1), std::invalid_argument);
  EXPECT_THROW(rescale(Decimal{1, 0}, 19), std::invalid_argument);
}

TEST(LawDecimalArithmetic, RefusesResultsBeyondSixtyFourBits) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_THROW(add(Decimal{kMax, 0}, Decimal{1, 0}), std::overflow_error);
  EXPECT_THROW(subtract(Decimal{-kMax, 0}, Decimal{2, 0}), std::overflow_error);
  EXPECT_THROW(rescale(Decimal{kMax / 10 + 1, 0}, 1), std::overflow_error);
  EXPECT_THROW(multiply(Decimal{kMax / 2 + 1, 0}, 2), std::overflow_error);
  // Comparing never overflows, whatever the scales.
  EXPECT_EQ(compare(Decimal{kMax, 0}, Decimal{kMax, 18}), std::strong_ordering::greater);
}

}  // namespace
}  // namespace domovoy::housing::law
