#pragma once
// Late-payment penalties (пени) for housing and utility bills, ЖК РФ ст. 155 ч. 14: nothing for
// the first 30 days after the due date; from the 31st to the 90th day 1/300 of the Central
// Bank's key rate per day of the unpaid amount; from the 91st day on 1/130.
//
// Which rate: the article speaks of the rate "действующей на день фактической оплаты" (in force
// on the day of payment); many calculators and courts instead take each day's own rate. Both are
// offered (PenaltyRules::rate_rule); each day's rate is the default. Since 2022 the Government
// has repeatedly fixed the rate for these penalties (Decree No. 474 of 26.03.2022 and the
// decrees extending it to 2026: the lower of 9.5% and the current rate) and suspended penalties
// altogether for some periods (Decree No. 424 of 02.04.2020: 06.04.2020–01.01.2021): that is
// configuration — a KeyRateTimeline with the fixed rate, and PenaltyRules::suspended.
//
// The penalty is computed exactly (a rational number of kopecks) and rounded half up to a
// kopeck only once, at the end.
#include <chrono>
#include <cstdint>
#include <vector>

#include "housing/law/exact.hpp"
#include "housing/registry/rational.hpp"

namespace domovoy::housing::law {

// From `from` on (until the next change) the key rate is `basis_points` (2100 = 21%).
struct KeyRateChange {
  std::chrono::year_month_day from;
  std::int64_t basis_points = 0;
};
// Ascending dates; the first must be on or before the first day a penalty is charged.
using KeyRateTimeline = std::vector<KeyRateChange>;

struct DateRange {  // both days included
  std::chrono::year_month_day first;
  std::chrono::year_month_day last;
};

enum class RateRule {
  each_day,        // every day at the rate in force that day
  on_payment_day,  // each paid part at the rate of the day it was paid, the unpaid rest at `as_of`'s
};

// ЖК РФ ст. 155 ч. 14.
struct PenaltyRules {
  int free_days = 30;         // days 1..30 after the due date: no penalty
  int first_stage_days = 90;  // days 31..90: first_fraction of the rate; from day 91: second_fraction
  Rational first_fraction{1, 300};
  Rational second_fraction{1, 130};
  RateRule rate_rule = RateRule::each_day;
  // Days on which no penalty accrues (moratoria). They still count towards the 30 and 90 days.
  std::vector<DateRange> suspended;
};

struct Payment {
  std::chrono::year_month_day date;
  std::int64_t kopecks = 0;
};

// A run of consecutive charged days with the same debt, rate and fraction: one line of a
// penalty statement ("с 11.05 по 09.06, 30 дн., 10 000,00 ₽ × 1/300 × 21%").
struct PenaltyPeriod {
  std::chrono::year_month_day first;
  std::chrono::year_month_day last;
  int days = 0;
  std::int64_t debt_kopecks = 0;
  std::int64_t basis_points = 0;
  Rational fraction;
  Exact amount;  // debt × rate × fraction × days, exact kopecks
};

struct PenaltyResult {
  std::int64_t kopecks = 0;  // the exact sum rounded half up
  Exact exact;
  std::int64_t outstanding_kopecks = 0;  // still unpaid at the end of as_of
  int days_overdue = 0;                   // as_of - due date (0 when not yet due)
  std::vector<PenaltyPeriod> periods;     // in date order
};

// The penalty on `amount_kopecks` due on `due_date`, as of the end of `as_of`. Day n is the n-th
// day after the due date (the day after it is day 1). A payment reduces the debt from the day after
// it is made: ст. 155 ч. 14 charges "по день фактической оплаты" — up to and including the day of
// payment. Payments are applied in date order whatever order they come in; paying more than is owed
// leaves a debt of zero. The due date is the real last day to pay: if it falls on a holiday the
// caller moves it (ГК РФ ст. 193).
// Throws std::invalid_argument when a charged day has no key rate in the timeline or the
// timeline is not in ascending order, or a payment is negative.
PenaltyResult penalty(std::int64_t amount_kopecks, std::chrono::year_month_day due_date,
                      const std::vector<Payment>& payments, std::chrono::year_month_day as_of,
                      const KeyRateTimeline& key_rates, const PenaltyRules& rules = {});

// The key rate in force on `day`; throws std::invalid_argument when the timeline starts later.
std::int64_t key_rate_on(const KeyRateTimeline& key_rates, std::chrono::year_month_day day);

}  // namespace domovoy::housing::law
