// Money in kopecks as Russians read it ("1 234,56 ₽") and as they type it ("1 500,50").
#include "housing/law/money.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace domovoy::housing::law {
namespace {

std::int64_t kopecks_of(std::string_view text) {
  auto parsed = parse_rubles(text);
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(parsed)) << text;
  return std::holds_alternative<std::int64_t>(parsed) ? std::get<std::int64_t>(parsed) : -1;
}

MoneyParseError error_of(std::string_view text) {
  auto parsed = parse_rubles(text);
  EXPECT_TRUE(std::holds_alternative<MoneyParseError>(parsed)) << text;
  return std::holds_alternative<MoneyParseError>(parsed) ? std::get<MoneyParseError>(parsed) : MoneyParseError::empty;
}

TEST(LawMoney, FormatsWithNoBreakSpacesAndADecimalComma) {
  EXPECT_EQ(format_rubles(123456), "1\u00A0234,56\u00A0₽");
  EXPECT_EQ(format_rubles(0), "0,00\u00A0₽");
  EXPECT_EQ(format_rubles(5), "0,05\u00A0₽");
  EXPECT_EQ(format_rubles(99999), "999,99\u00A0₽");
  EXPECT_EQ(format_rubles(100000), "1\u00A0000,00\u00A0₽");
  EXPECT_EQ(format_rubles(123456789012), "1\u00A0234\u00A0567\u00A0890,12\u00A0₽");
  EXPECT_EQ(format_rubles(-5000), "-50,00\u00A0₽");
  EXPECT_EQ(format_rubles(std::numeric_limits<std::int64_t>::min()),
            "-92\u00A0233\u00A0720\u00A0368\u00A0547\u00A0758,08\u00A0₽");
}

TEST(LawMoney, ReadsWhatPeopleType) {
  EXPECT_EQ(kopecks_of("1500"), 150000);
  EXPECT_EQ(kopecks_of("1500,50"), 150050);
  EXPECT_EQ(kopecks_of("1500.5"), 150050);
  EXPECT_EQ(kopecks_of("1 500.5"), 150050);
  EXPECT_EQ(kopecks_of("1\u00A0500,05"), 150005);
  EXPECT_EQ(kopecks_of("1\u202F234\u202F567"), 123456700);
  EXPECT_EQ(kopecks_of("12 345 678,9"), 1234567890);
  EXPECT_EQ(kopecks_of(" 0,01 "), 1);
  EXPECT_EQ(kopecks_of("0050"), 5000);
  EXPECT_EQ(kopecks_of("1 500,50 ₽"), 150050);
  EXPECT_EQ(kopecks_of("1500₽"), 150000);
  EXPECT_EQ(kopecks_of("1500 руб."), 150000);
  EXPECT_EQ(kopecks_of("1500 руб"), 150000);
  EXPECT_EQ(kopecks_of("1500 р."), 150000);
  EXPECT_EQ(kopecks_of("92233720368547758,07"), std::numeric_limits<std::int64_t>::max());
  // What format_rubles writes reads back.
  EXPECT_EQ(kopecks_of(format_rubles(123456789012)), 123456789012);
}

TEST(LawMoney, RefusesWhatIsNotAnAmount) {
  EXPECT_EQ(error_of(""), MoneyParseError::empty);
  EXPECT_EQ(error_of("  "), MoneyParseError::empty);
  EXPECT_EQ(error_of("abc"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of("₽"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of("15 00"), MoneyParseError::not_a_number);     // a group of two
  EXPECT_EQ(error_of("1500 000"), MoneyParseError::not_a_number);  // a first group of four
  EXPECT_EQ(error_of("1 50 000"), MoneyParseError::not_a_number);  // a middle group of two
  EXPECT_EQ(error_of("1  500"), MoneyParseError::not_a_number);    // two spaces
  EXPECT_EQ(error_of("1,500.50"), MoneyParseError::not_a_number);  // English grouping
  EXPECT_EQ(error_of("5,"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of(",5"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of("1e3"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of("+100"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of("-"), MoneyParseError::not_a_number);
  EXPECT_EQ(error_of("-100"), MoneyParseError::negative);
  EXPECT_EQ(error_of("- 100,50"), MoneyParseError::negative);
  EXPECT_EQ(error_of("0"), MoneyParseError::zero);
  EXPECT_EQ(error_of("0,00"), MoneyParseError::zero);
  EXPECT_EQ(error_of("10,505"), MoneyParseError::too_many_decimals);
  EXPECT_EQ(error_of("1,500"), MoneyParseError::too_many_decimals);  // a thousand or one and a half? neither
  EXPECT_EQ(error_of("92233720368547758,08"), MoneyParseError::too_large);
  EXPECT_EQ(error_of("99999999999999999999"), MoneyParseError::too_large);
  EXPECT_EQ(to_string(MoneyParseError::too_many_decimals), "too_many_decimals");
}

}  // namespace
}  // namespace domovoy::housing::law
