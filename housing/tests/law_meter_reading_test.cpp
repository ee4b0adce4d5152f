// Meter readings as residents type them, the checks that refuse typos with a reason a bot can
// explain, and the billing period a reading counts for (Decree 354 п. 31 «е»).
#include "housing/law/meter_reading.hpp"

#include <gtest/gtest.h>

namespace domovoy::housing::law {
namespace {

using std::chrono::year;
using std::chrono::year_month;
using std::chrono::year_month_day;

year_month_day date(int y, unsigned m, unsigned d) {
  return year_month_day{year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

Decimal value_of(std::string_view text) {
  auto parsed = parse_reading_value(text);
  EXPECT_TRUE(std::holds_alternative<Decimal>(parsed)) << text;
  return std::holds_alternative<Decimal>(parsed) ? std::get<Decimal>(parsed) : Decimal{-1, 0};
}

ReadingParseError error_of(std::string_view text) {
  auto parsed = parse_reading_value(text);
  EXPECT_TRUE(std::holds_alternative<ReadingParseError>(parsed)) << text;
  return std::holds_alternative<ReadingParseError>(parsed) ? std::get<ReadingParseError>(parsed)
                                                             : ReadingParseError::empty;
}

// ---- parse_reading_value ----

TEST(LawReadingValue, ReadsACommaOrADotAndKeepsEveryDigit) {
  EXPECT_EQ(value_of("123,45"), (Decimal{12345, 2}));
  EXPECT_EQ(value_of("123.45"), (Decimal{12345, 2}));
  EXPECT_EQ(value_of("00123,456"), (Decimal{123456, 3}));
  EXPECT_EQ(value_of("00123,450"), (Decimal{123450, 3}));  // the trailing zero is the meter's digit
  EXPECT_EQ(value_of("  42 "), (Decimal{42, 0}));
  EXPECT_EQ(value_of("\t7,5\t"), (Decimal{75, 1}));
  EXPECT_EQ(value_of("0"), (Decimal{0, 0}));
  EXPECT_EQ(value_of("1,123456"), (Decimal{1123456, 6}));       // six decimals: a heat meter
  EXPECT_EQ(value_of("000000000999999999"), (Decimal{999999999, 0}));  // leading zeros are not digits
}

TEST(LawReadingValue, SaysWhyATextIsNotAReading) {
  EXPECT_EQ(error_of(""), ReadingParseError::empty);
  EXPECT_EQ(error_of("   "), ReadingParseError::empty);
  EXPECT_EQ(error_of("abc"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("12a"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("1e3"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("12 345"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of(",5"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("5,"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("+5"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("-"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("-abc"), ReadingParseError::not_a_number);
  EXPECT_EQ(error_of("-5"), ReadingParseError::negative);
  EXPECT_EQ(error_of("-12,5"), ReadingParseError::negative);
  EXPECT_EQ(error_of("12,3,4"), ReadingParseError::several_separators);
  EXPECT_EQ(error_of("12.3,4"), ReadingParseError::several_separators);
  EXPECT_EQ(error_of("1,1234567"), ReadingParseError::too_many_decimals);  // 7 decimals
  EXPECT_EQ(error_of("1000000000"), ReadingParseError::too_large);          // 10 digits
  EXPECT_EQ(error_of("99999999999999999999"), ReadingParseError::too_large);
}

TEST(LawReadingValue, FormatIsConfigurable) {
  ReadingFormat water{3, 5};
  EXPECT_EQ(std::get<ReadingParseError>(parse_reading_value("1,2345", water)), ReadingParseError::too_many_decimals);
  EXPECT_EQ(std::get<ReadingParseError>(parse_reading_value("123456", water)), ReadingParseError::too_large);
  EXPECT_EQ(std::get<Decimal>(parse_reading_value("12345,678", water)), (Decimal{12345678, 3}));
  // A format allowing more digits than 64 bits hold still refuses the overflow, as too_large.
  ReadingFormat wide{6, 30};
  EXPECT_EQ(std::get<ReadingParseError>(parse_reading_value("99999999999999999999", wide)),
            ReadingParseError::too_large);
  EXPECT_EQ(to_string(ReadingParseError::several_separators), "several_separators");
}

// ---- check_reading ----

ReadingCheckInput cold_meter() {
  ReadingCheckInput input;
  input.type = MeterType::cold;
  input.verified_until = date(2029, 5, 1);
  input.previous = PreviousReading{Decimal{123456, 3}, date(2025, 2, 22)};  // 123,456 m³
  input.today = date(2025, 3, 22);                                         // 28 days later
  return input;
}

TEST(LawCheckReading, AcceptsAPlausibleReadingAndSaysWhatWasConsumed) {
  auto input = cold_meter();
  input.value = Decimal{1313, 1};  // 131,3 m³
  auto check = check_reading(input);
  EXPECT_TRUE(check.accepted());
  // 131.300 - 123.456 = 7.844 m³
  ASSERT_TRUE(check.consumption);
  EXPECT_EQ(*check.consumption, (Decimal{7844, 3}));
  EXPECT_EQ(check.months_elapsed, 1);  // 28 days: one month
  EXPECT_EQ(check.allowed_consumption, (Decimal{30, 0}));
  ASSERT_TRUE(check.highest_allowed_value);
  EXPECT_EQ(*check.highest_allowed_value, (Decimal{153456, 3}));  // 123.456 + 30
}

TEST(LawCheckReading, AcceptsTheSameValueAsBefore) {
  auto input = cold_meter();
  input.value = Decimal{1234560, 4};  // 123,4560: the same value at another scale
  auto check = check_reading(input);
  EXPECT_TRUE(check.accepted());
  EXPECT_EQ(check.consumption->units, 0);
}

TEST(LawCheckReading, RefusesAReadingBelowThePrevious) {
  auto input = cold_meter();
  input.value = Decimal{12340, 2};  // 123,40 < 123,456
  auto check = check_reading(input);
  ASSERT_TRUE(check.refusal);
  EXPECT_EQ(*check.refusal, ReadingRefusal::lower_than_previous);
  EXPECT_EQ(*check.previous, (Decimal{123456, 3}));
  EXPECT_EQ(*check.consumption, (Decimal{-56, 3}));
  EXPECT_EQ(to_string(*check.refusal), "lower_than_previous");
}

TEST(LawCheckReading, AcceptsALowerValueFromAReplacedMeter) {
  auto input = cold_meter();
  input.value = Decimal{12, 1};  // a new meter at 1,2 m³
  input.replaced_since_previous = true;
  auto check = check_reading(input);
  EXPECT_TRUE(check.accepted());
  EXPECT_FALSE(check.consumption);  // nothing to subtract a new meter's value from
}

TEST(LawCheckReading, RefusesAnImplausiblyHighReadingForOneMonth) {
  auto input = cold_meter();
  // 153,457 - 123,456 = 30,001 m³ > 30 m³ in one month: one litre too many.
  input.value = Decimal{153457, 3};
  auto check = check_reading(input);
  ASSERT_TRUE(check.refusal);
  EXPECT_EQ(*check.refusal, ReadingRefusal::implausibly_high);
  EXPECT_EQ(check.allowed_consumption, (Decimal{30, 0}));
  EXPECT_EQ(*check.highest_allowed_value, (Decimal{153456, 3}));
  // Exactly the maximum is accepted.
  input.value = Decimal{153456, 3};
  EXPECT_TRUE(check_reading(input).accepted());
}

TEST(LawCheckReading, AllowsMoreTheLongerSinceThePreviousReading) {
  auto input = cold_meter();
  input.today = date(2025, 4, 24);  // 61 days after 22.02: ceil(61 / 30) = 3 months -> 90 m³
  input.value = Decimal{213456, 3};  // 123,456 + 90
  auto check = check_reading(input);
  EXPECT_EQ(check.months_elapsed, 3);
  EXPECT_EQ(check.allowed_consumption, (Decimal{90, 0}));
  EXPECT_TRUE(check.accepted());
  input.today = date(2025, 4, 23);  // 60 days: exactly 2 months -> 60 m³, and 90 is too much
  check = check_reading(input);
  EXPECT_EQ(check.months_elapsed, 2);
  ASSERT_TRUE(check.refusal);
  EXPECT_EQ(*check.refusal, ReadingRefusal::implausibly_high);
}

TEST(LawCheckReading, LimitsDependOnTheMeterTypeAndAreConfigurable) {
  auto input = cold_meter();
  input.type = MeterType::hot;
  input.value = Decimal{144456, 3};  // +21 m³: fine for cold water, too much for hot (20 m³)
  EXPECT_EQ(*check_reading(input).refusal, ReadingRefusal::implausibly_high);
  input.type = MeterType::cold;
  EXPECT_TRUE(check_reading(input).accepted());

  ReadingLimits strict;
  strict.cold = Decimal{15, 0};
  EXPECT_EQ(*check_reading(input, strict).refusal, ReadingRefusal::implausibly_high);
  EXPECT_EQ(ReadingLimits{}.monthly_max(MeterType::power_day), (Decimal{1500, 0}));
  EXPECT_EQ(ReadingLimits{}.monthly_max(MeterType::power_night), (Decimal{1000, 0}));
  EXPECT_EQ(ReadingLimits{}.monthly_max(MeterType::heat), (Decimal{5, 0}));
  EXPECT_EQ(ReadingLimits{}.monthly_max(MeterType::gas), (Decimal{100, 0}));
}

TEST(LawCheckReading, RefusesAMeterPastItsVerification) {
  auto input = cold_meter();
  input.value = Decimal{1313, 1};
  input.verified_until = date(2025, 3, 21);  // the day before today
  auto check = check_reading(input);
  ASSERT_TRUE(check.refusal);
  EXPECT_EQ(*check.refusal, ReadingRefusal::verification_expired);
  EXPECT_EQ(check.verified_until, date(2025, 3, 21));
  input.verified_until = date(2025, 3, 22);  // due today: still in service
  EXPECT_TRUE(check_reading(input).accepted());
}

TEST(LawCheckReading, AcceptsAFirstReading) {
  auto input = cold_meter();
  input.previous.reset();
  input.value = Decimal{5, 0};
  auto check = check_reading(input);
  EXPECT_TRUE(check.accepted());
  EXPECT_FALSE(check.previous);
  EXPECT_FALSE(check.highest_allowed_value);
}

// ---- billing_period_of ----

TEST(LawReadingWindow, CountsTheReadingForTheRightMonth) {
  auto on_19 = billing_period_of(date(2025, 3, 19));
  EXPECT_EQ(on_19.period, year{2025} / std::chrono::March);
  EXPECT_FALSE(on_19.in_window);

  auto on_20 = billing_period_of(date(2025, 3, 20));
  EXPECT_EQ(on_20.period, year{2025} / std::chrono::March);
  EXPECT_TRUE(on_20.in_window);

  auto on_25 = billing_period_of(date(2025, 3, 25));
  EXPECT_EQ(on_25.period, year{2025} / std::chrono::March);
  EXPECT_TRUE(on_25.in_window);

  auto on_26 = billing_period_of(date(2025, 3, 26));
  EXPECT_EQ(on_26.period, year{2025} / std::chrono::April);
  EXPECT_FALSE(on_26.in_window);

  auto first = billing_period_of(date(2025, 3, 1));
  EXPECT_EQ(first.period, year{2025} / std::chrono::March);
  EXPECT_FALSE(first.in_window);
}

TEST(LawReadingWindow, DecemberAfterTheWindowCountsForJanuaryOfTheNextYear) {
  auto late = billing_period_of(date(2025, 12, 26));
  EXPECT_EQ(late.period, year{2026} / std::chrono::January);
  EXPECT_FALSE(late.in_window);
  auto last_day = billing_period_of(date(2025, 12, 31));
  EXPECT_EQ(last_day.period, year{2026} / std::chrono::January);
  EXPECT_EQ(billing_period_of(date(2025, 12, 25)).period, year{2025} / std::chrono::December);
}

TEST(LawReadingWindow, TheContractMaySetOtherDays) {
  ReadingWindow contract{15, 19};
  auto on_19 = billing_period_of(date(2025, 3, 19), contract);
  EXPECT_EQ(on_19.period, year{2025} / std::chrono::March);
  EXPECT_TRUE(on_19.in_window);
  auto on_20 = billing_period_of(date(2025, 3, 20), contract);
  EXPECT_EQ(on_20.period, year{2025} / std::chrono::April);
  EXPECT_FALSE(on_20.in_window);
}

}  // namespace
}  // namespace domovoy::housing::law
