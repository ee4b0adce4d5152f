// Decimal strings as people and meters write them: areas in hundredths of m², readings kept as
// integer units and a scale, nothing through floating point.
#include "housing/registry/decimal.hpp"

#include <gtest/gtest.h>

namespace domovoy::housing {
namespace {

TEST(Area, ReadsUpToTwoDecimalsWithDotOrComma) {
  EXPECT_EQ(parse_area_hundredths("54.3"), 5430);
  EXPECT_EQ(parse_area_hundredths("54.30"), 5430);
  EXPECT_EQ(parse_area_hundredths("54"), 5400);
  EXPECT_EQ(parse_area_hundredths("54,30"), 5430);
  EXPECT_EQ(parse_area_hundredths("54,3"), 5430);
  EXPECT_EQ(parse_area_hundredths("0.01"), 1);
  EXPECT_EQ(parse_area_hundredths("007.5"), 750);
  EXPECT_EQ(parse_area_hundredths("0"), 0);  // a number; the registry refuses it as an area
  EXPECT_EQ(parse_area_hundredths("92233720368547758.07"), 9223372036854775807);
}

TEST(Area, RejectsEverythingElse) {
  for (const char* bad : {"",
                          "-54.30",
                          "-0",
                          "+54",
                          "54.301",
                          "54.300",
                          "5.43e1",
                          "1e2",
                          "1E2",
                          "abc",
                          "54.",
                          ".5",
                          ",5",
                          "54,3,0",
                          "54.3.0",
                          "54,3.0",
                          " 54",
                          "54 ",
                          "54 .3",
                          "54.3a",
                          "5 430",
                          "0x10",
                          "\xd9\xa1\xd9\xa2",
                          "92233720368547758.08",
                          "99999999999999999999"})
    EXPECT_FALSE(parse_area_hundredths(bad)) << bad;
}

TEST(Area, FormatsWithTwoDecimals) {
  EXPECT_EQ(format_area_hundredths(5430), "54.30");
  EXPECT_EQ(format_area_hundredths(5400), "54.00");
  EXPECT_EQ(format_area_hundredths(1), "0.01");
  EXPECT_EQ(format_area_hundredths(0), "0.00");
  EXPECT_EQ(format_area_hundredths(1234567), "12345.67");
}

TEST(Decimal, KeepsEveryDigitAndTheScale) {
  EXPECT_EQ(parse_decimal("123.456", 6), (Decimal{123456, 3}));
  EXPECT_EQ(parse_decimal("00123,456", 6), (Decimal{123456, 3}));
  EXPECT_EQ(parse_decimal("123,450", 6), (Decimal{123450, 3}));
  EXPECT_EQ(parse_decimal("0.000", 6), (Decimal{0, 3}));
  EXPECT_EQ(parse_decimal("42", 6), (Decimal{42, 0}));
  EXPECT_EQ(parse_decimal("9223372036854775807", 0), (Decimal{9223372036854775807, 0}));
}

TEST(Decimal, RejectsTooManyDecimalsOverflowAndGarbage) {
  EXPECT_FALSE(parse_decimal("1.2345678", 6));
  EXPECT_FALSE(parse_decimal("1.5", 0));
  EXPECT_FALSE(parse_decimal("9223372036854775808", 0));
  EXPECT_FALSE(parse_decimal("1", 19));
  for (const char* bad : {"", "-1", "1.", ".1", "1..2", "1,2.3", "1e3", "12 3", "inf", "NaN"})
    EXPECT_FALSE(parse_decimal(bad, 6)) << bad;
}

TEST(Decimal, WritesWithADotAndTheScale) {
  EXPECT_EQ((Decimal{123456, 3}).to_string(), "123.456");
  EXPECT_EQ((Decimal{123450, 3}).to_string(), "123.450");
  EXPECT_EQ((Decimal{5, 3}).to_string(), "0.005");
  EXPECT_EQ((Decimal{0, 2}).to_string(), "0.00");
  EXPECT_EQ((Decimal{42, 0}).to_string(), "42");
  EXPECT_EQ((Decimal{-5, 2}).to_string(), "-0.05");
}

TEST(Decimal, WrittenFormReadsBackEqual) {
  for (const char* text : {"123.456", "0.005", "00017,10", "42", "0.0"}) {
    auto decimal = parse_decimal(text, 6);
    ASSERT_TRUE(decimal) << text;
    EXPECT_EQ(parse_decimal(decimal->to_string(), 6), decimal) << text;
  }
}

}  // namespace
}  // namespace domovoy::housing
