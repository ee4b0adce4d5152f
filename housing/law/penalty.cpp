#include "housing/law/penalty.hpp"

#include <algorithm>
#include <stdexcept>

#include "housing/law/dates.hpp"
#include "housing/registry/iso_date.hpp"

namespace domovoy::housing::law {

namespace {
using std::chrono::sys_days;
using std::chrono::year_month_day;

// The part of the debt charged on one day at one rate.
struct Charge {
  std::int64_t debt_kopecks;
  std::int64_t basis_points;
};

bool is_suspended(const PenaltyRules& rules, year_month_day day) {
  return std::any_of(rules.suspended.begin(), rules.suspended.end(), [day](const DateRange& range) {
    return sys_days(range.first) <= sys_days(day) && sys_days(day) <= sys_days(range.last);
  });
}

void check_timeline(const KeyRateTimeline& key_rates) {
  for (std::size_t i = 1; i < key_rates.size(); ++i)
    if (!(sys_days(key_rates[i - 1].from) < sys_days(key_rates[i].from)))
      throw std::invalid_argument("key rate timeline must be in ascending dates");
}

// The day's charges: the debt left after the payments made before it, split by the rate rule.
std::vector<Charge> charges_of(std::int64_t amount, const std::vector<Payment>& payments, year_month_day day,
                               year_month_day as_of, const KeyRateTimeline& key_rates, RateRule rule) {
  std::int64_t debt = amount;
  for (const auto& payment : payments)
    if (sys_days(payment.date) < sys_days(day)) debt -= std::min(debt, payment.kopecks);
  if (debt == 0) return {};
  if (rule == RateRule::each_day) return {{debt, key_rate_on(key_rates, day)}};

  // Each later payment settles its part of today's debt at the rate of its own day.
  std::vector<Charge> charges;
  for (const auto& payment : payments) {
    if (sys_days(payment.date) < sys_days(day) || debt == 0) continue;
    std::int64_t part = std::min(debt, payment.kopecks);
    if (part > 0) charges.push_back({part, key_rate_on(key_rates, payment.date)});
    debt -= part;
  }
  if (debt > 0) charges.push_back({debt, key_rate_on(key_rates, as_of)});
  return charges;
}
}  // namespace

std::int64_t key_rate_on(const KeyRateTimeline& key_rates, year_month_day day) {
  const KeyRateChange* in_force = nullptr;
  for (const auto& change : key_rates)
    if (sys_days(change.from) <= sys_days(day)) in_force = &change;
  if (in_force == nullptr) throw std::invalid_argument("no key rate in force on " + format_iso_date(day));
  return in_force->basis_points;
}

PenaltyResult penalty(std::int64_t amount_kopecks, year_month_day due_date, const std::vector<Payment>& payments,
                      year_month_day as_of, const KeyRateTimeline& key_rates, const PenaltyRules& rules) {
  check_timeline(key_rates);
  // Only what has been paid by as_of counts, in the order it was paid.
  std::vector<Payment> paid;
  for (const auto& payment : payments) {
    if (payment.kopecks < 0) throw std::invalid_argument("a payment cannot be negative");
    if (sys_days(payment.date) <= sys_days(as_of)) paid.push_back(payment);
  }
  std::stable_sort(paid.begin(), paid.end(),
                   [](const Payment& a, const Payment& b) { return sys_days(a.date) < sys_days(b.date); });

  PenaltyResult result;
  result.days_overdue = std::max(0, days_between(due_date, as_of));
  result.outstanding_kopecks = std::max<std::int64_t>(0, amount_kopecks);
  for (const auto& payment : paid) result.outstanding_kopecks -= std::min(result.outstanding_kopecks, payment.kopecks);

  for (int n = rules.free_days + 1; n <= result.days_overdue; ++n) {
    year_month_day day{sys_days(due_date) + std::chrono::days{n}};
    if (is_suspended(rules, day)) continue;
    const Rational& fraction = n <= rules.first_stage_days ? rules.first_fraction : rules.second_fraction;
    for (const auto& charge : charges_of(std::max<std::int64_t>(0, amount_kopecks), paid, day, as_of, key_rates, rules.rate_rule)) {
      // Extend the period this charge continues from yesterday, if any.
      auto open = std::find_if(result.periods.rbegin(), result.periods.rend(), [&](const PenaltyPeriod& period) {
        return sys_days(period.last) + std::chrono::days{1} == sys_days(day) && period.debt_kopecks == charge.debt_kopecks &&
               period.basis_points == charge.basis_points && period.fraction == fraction;
      });
      if (open == result.periods.rend()) {
        result.periods.push_back(PenaltyPeriod{day, day, 0, charge.debt_kopecks, charge.basis_points, fraction, 0});
        open = result.periods.rbegin();
      }
      open->last = day;
      ++open->days;
    }
  }
  std::stable_sort(result.periods.begin(), result.periods.end(), [](const PenaltyPeriod& a, const PenaltyPeriod& b) {
    return sys_days(a.first) < sys_days(b.first);
  });
  for (auto& period : result.periods) {
    period.amount = Exact(period.debt_kopecks) * Exact(period.basis_points, 10000) * to_exact(period.fraction) *
                    Exact(period.days);
    result.exact += period.amount;
  }
  result.kopecks = round_half_up(result.exact);
  return result;
}

}  // namespace domovoy::housing::law
