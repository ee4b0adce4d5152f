// Late-payment penalties of ЖК РФ ст. 155 ч. 14: 30 free days, 1/300 of the key rate per day to
// the 90th day, 1/130 from the 91st, exact until one final rounding to a kopeck.
#include "housing/law/penalty.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace domovoy::housing::law {
namespace {

using std::chrono::year;
using std::chrono::year_month_day;

year_month_day date(int y, unsigned m, unsigned d) {
  return year_month_day{year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

// An example timeline: 21% from 28.10.2024, 20% from 09.06.2025.
const KeyRateTimeline kRates{{date(2024, 10, 28), 2100}, {date(2025, 6, 9), 2000}};

// 3 000,00 ₽ due on 10.01.2025 at 21%: day 30 is 09.02, day 31 is 10.02, day 90 is 10.04 and
// day 91 is 11.04.
constexpr std::int64_t kBill = 300000;
const year_month_day kDue = date(2025, 1, 10);

TEST(LawPenalty, NothingForTheFirstThirtyDays) {
  auto on_day_30 = penalty(kBill, kDue, {}, date(2025, 2, 9), kRates);
  EXPECT_EQ(on_day_30.days_overdue, 30);
  EXPECT_EQ(on_day_30.kopecks, 0);
  EXPECT_TRUE(on_day_30.periods.empty());
  EXPECT_EQ(on_day_30.outstanding_kopecks, kBill);
  EXPECT_EQ(penalty(kBill, kDue, {}, kDue, kRates).days_overdue, 0);
}

TEST(LawPenalty, DayThirtyOneIsTheFirstCharged) {
  // 300 000 kop × 21% / 300 = 210 kop for the day.
  auto on_day_31 = penalty(kBill, kDue, {}, date(2025, 2, 10), kRates);
  EXPECT_EQ(on_day_31.days_overdue, 31);
  EXPECT_EQ(on_day_31.kopecks, 210);
  ASSERT_EQ(on_day_31.periods.size(), 1u);
  EXPECT_EQ(on_day_31.periods[0].first, date(2025, 2, 10));
  EXPECT_EQ(on_day_31.periods[0].fraction, Rational(1, 300));
}

TEST(LawPenalty, DayNinetyIsTheLastAtOneThreeHundredth) {
  // Days 31..90: 60 × 210 = 12 600 kop.
  auto on_day_90 = penalty(kBill, kDue, {}, date(2025, 4, 10), kRates);
  EXPECT_EQ(on_day_90.days_overdue, 90);
  EXPECT_EQ(on_day_90.kopecks, 12600);
  ASSERT_EQ(on_day_90.periods.size(), 1u);
  EXPECT_EQ(on_day_90.periods[0].days, 60);
  EXPECT_EQ(on_day_90.periods[0].last, date(2025, 4, 10));
}

TEST(LawPenalty, DayNinetyOneIsChargedAtOneHundredThirtieth) {
  // 12 600 + 300 000 × 21% / 130 = 12 600 + 484,615... = 13 084,615... -> 13 085 kop.
  auto on_day_91 = penalty(kBill, kDue, {}, date(2025, 4, 11), kRates);
  EXPECT_EQ(on_day_91.kopecks, 13085);
  EXPECT_EQ(on_day_91.exact, Exact(12600) + Exact(63000, 130));
  ASSERT_EQ(on_day_91.periods.size(), 2u);
  EXPECT_EQ(on_day_91.periods[1].first, date(2025, 4, 11));
  EXPECT_EQ(on_day_91.periods[1].days, 1);
  EXPECT_EQ(on_day_91.periods[1].fraction, Rational(1, 130));
}

// 10 000,00 ₽ due 10.04.2025; 4 000,00 ₽ paid on 20.05 (day 40); as of 15.06 (day 66). The rate
// falls from 21% to 20% on 09.06 (day 60).
constexpr std::int64_t kDebt = 1000000;
const year_month_day kDebtDue = date(2025, 4, 10);
const std::vector<Payment> kPartial{{date(2025, 5, 20), 400000}};

TEST(LawPenalty, AcrossAPartialPaymentAndAKeyRateChange) {
  auto result = penalty(kDebt, kDebtDue, kPartial, date(2025, 6, 15), kRates);
  // 11.05..20.05 (days 31..40, the day of payment included): 10 × 1 000 000 × 21% / 300 = 10 × 700
  // 21.05..08.06 (days 41..59): 19 × 600 000 × 21% / 300 = 19 × 420
  // 09.06..15.06 (days 60..66): 7 × 600 000 × 20% / 300 = 7 × 400
  EXPECT_EQ(result.kopecks, 7000 + 7980 + 2800);
  EXPECT_EQ(result.outstanding_kopecks, 600000);
  ASSERT_EQ(result.periods.size(), 3u);
  EXPECT_EQ(result.periods[0].first, date(2025, 5, 11));
  EXPECT_EQ(result.periods[0].last, date(2025, 5, 20));
  EXPECT_EQ(result.periods[0].days, 10);
  EXPECT_EQ(result.periods[0].debt_kopecks, 1000000);
  EXPECT_EQ(result.periods[1].days, 19);
  EXPECT_EQ(result.periods[1].debt_kopecks, 600000);
  EXPECT_EQ(result.periods[1].basis_points, 2100);
  EXPECT_EQ(result.periods[2].first, date(2025, 6, 9));
  EXPECT_EQ(result.periods[2].days, 7);
  EXPECT_EQ(result.periods[2].basis_points, 2000);
  EXPECT_EQ(result.periods[2].amount, Exact(2800));
}

TEST(LawPenalty, TheRateOfThePaymentDayWhenConfigured) {
  PenaltyRules rules;
  rules.rate_rule = RateRule::on_payment_day;
  auto result = penalty(kDebt, kDebtDue, kPartial, date(2025, 6, 15), kRates, rules);
  // The 400 000 paid on 20.05 at 20.05's 21%, the unpaid 600 000 at 15.06's 20%:
  // 11.05..20.05: 10 × (400 000 × 21% / 300 + 600 000 × 20% / 300) = 10 × (280 + 400)
  // 21.05..15.06: 26 × 600 000 × 20% / 300 = 26 × 400
  EXPECT_EQ(result.kopecks, 6800 + 10400);
  // Two lines: the paid part for 10 days, the unpaid part for 10 + 26 days at one rate.
  ASSERT_EQ(result.periods.size(), 2u);
  EXPECT_EQ(result.periods[0].debt_kopecks, 400000);
  EXPECT_EQ(result.periods[0].basis_points, 2100);
  EXPECT_EQ(result.periods[0].days, 10);
  EXPECT_EQ(result.periods[1].debt_kopecks, 600000);
  EXPECT_EQ(result.periods[1].basis_points, 2000);
  EXPECT_EQ(result.periods[1].days, 36);
}

TEST(LawPenalty, RoundsOnlyOnceAtTheEnd) {
  // 5,00 ₽ at 21%: 500 × 21% / 300 = 0,35 kop a day, which would round to nothing every day;
  // over days 31..90 it is 60 × 0,35 = 21 kop.
  auto result = penalty(500, kDue, {}, date(2025, 4, 10), kRates);
  EXPECT_EQ(result.exact, Exact(21));
  EXPECT_EQ(result.kopecks, 21);
  // One more day at 1/130: 500 × 21% / 130 = 0,8077 kop -> 21,8077 -> 22.
  EXPECT_EQ(penalty(500, kDue, {}, date(2025, 4, 11), kRates).kopecks, 22);
}

TEST(LawPenalty, PaymentsReduceTheDebtFromTheNextDay) {
  // 1 000,00 ₽ paid on the due date: 2 000,00 ₽ overdue, 140 kop on day 31.
  auto early = penalty(kBill, kDue, {{kDue, 100000}}, date(2025, 2, 10), kRates);
  EXPECT_EQ(early.kopecks, 140);
  // Paid in full on day 31: that day is still charged, nothing after it.
  auto paid = penalty(kBill, kDue, {{date(2025, 2, 10), kBill}}, date(2025, 4, 11), kRates);
  EXPECT_EQ(paid.kopecks, 210);
  EXPECT_EQ(paid.outstanding_kopecks, 0);
  // Overpaying leaves no debt, not a negative one.
  auto over = penalty(kBill, kDue, {{date(2025, 1, 1), kBill + 5000}}, date(2025, 4, 11), kRates);
  EXPECT_EQ(over.kopecks, 0);
  EXPECT_EQ(over.outstanding_kopecks, 0);
  // A payment after as_of has not happened yet.
  auto later = penalty(kBill, kDue, {{date(2025, 3, 1), kBill}}, date(2025, 2, 10), kRates);
  EXPECT_EQ(later.kopecks, 210);
  EXPECT_EQ(later.outstanding_kopecks, kBill);
  // Payments in any order are applied in date order.
  auto unordered = penalty(kDebt, kDebtDue, {{date(2025, 6, 1), 100000}, {date(2025, 5, 20), 400000}},
                           date(2025, 6, 15), kRates);
  auto ordered = penalty(kDebt, kDebtDue, {{date(2025, 5, 20), 400000}, {date(2025, 6, 1), 100000}},
                         date(2025, 6, 15), kRates);
  EXPECT_EQ(unordered.exact, ordered.exact);
  EXPECT_EQ(unordered.outstanding_kopecks, 500000);
}

TEST(LawPenalty, MoratoriumDaysAreNotChargedButStillCounted) {
  PenaltyRules rules;
  // No penalty on 01.03..31.03.2025 (days 50..80).
  rules.suspended = {{date(2025, 3, 1), date(2025, 3, 31)}};
  // Days 31..49 (19) and 81..90 (10) at 210 kop, day 91 at 484,615...: day 91 still comes on 11.04.
  auto result = penalty(kBill, kDue, {}, date(2025, 4, 11), kRates, rules);
  EXPECT_EQ(result.exact, Exact(29 * 210) + Exact(63000, 130));
  EXPECT_EQ(result.kopecks, 6575);  // 6 090 + 484,615 = 6 574,615
}

TEST(LawPenalty, TheParametersAreConfigurable) {
  PenaltyRules rules;
  rules.free_days = 0;  // a contract without grace days
  rules.first_stage_days = 0;
  auto result = penalty(kBill, kDue, {}, date(2025, 1, 11), kRates, rules);  // day 1 at 1/130
  EXPECT_EQ(result.exact, Exact(63000, 130));
  // A fixed rate (as the 2022 moratorium decrees did) is just a timeline of one entry.
  auto fixed = penalty(kBill, kDue, {}, date(2025, 2, 10), KeyRateTimeline{{date(2022, 2, 28), 950}});
  EXPECT_EQ(fixed.exact, Exact(300000 * 95, 1000 * 300));  // 300 000 × 9,5% / 300 = 95 kop
  EXPECT_EQ(fixed.kopecks, 95);
}

TEST(LawPenalty, RefusesAMissingOrUnorderedRateTimeline) {
  EXPECT_THROW(penalty(kBill, kDue, {}, date(2025, 2, 10), KeyRateTimeline{{date(2025, 3, 1), 2100}}),
               std::invalid_argument);
  EXPECT_THROW(penalty(kBill, kDue, {}, date(2025, 2, 10), KeyRateTimeline{{date(2025, 1, 1), 2100}, {date(2024, 1, 1), 1600}}),
               std::invalid_argument);
  EXPECT_THROW(penalty(kBill, kDue, {{kDue, -1}}, date(2025, 2, 10), kRates), std::invalid_argument);
  // Before day 31 no rate is needed.
  EXPECT_EQ(penalty(kBill, kDue, {}, date(2025, 2, 9), KeyRateTimeline{}).kopecks, 0);
  EXPECT_EQ(key_rate_on(kRates, date(2025, 6, 8)), 2100);
  EXPECT_EQ(key_rate_on(kRates, date(2025, 6, 9)), 2000);
}

}  // namespace
}  // namespace domovoy::housing::law
