#include "housing/law/billing.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "housing/law/dates.hpp"
#include "housing/law/decimal_arithmetic.hpp"
#include "housing/law/exact.hpp"

namespace domovoy::housing::law {

namespace {
void check_ascending(const std::vector<PeriodReading>& readings) {
  for (std::size_t i = 1; i < readings.size(); ++i)
    if (!(readings[i - 1].period < readings[i].period))
      throw std::invalid_argument("meter readings must be in ascending billing periods, one per period");
}

// What the meter counted from one reading to the next, across a replacement if there was one.
Decimal consumption_between(const PeriodReading& earlier, const PeriodReading& later) {
  if (!later.replacement) return subtract(later.value, earlier.value);
  return add(subtract(later.replacement->old_final, earlier.value), subtract(later.value, later.replacement->new_initial));
}

// The last reading strictly before `period`, or nullptr.
const PeriodReading* last_before(const std::vector<PeriodReading>& readings, std::chrono::year_month period) {
  const PeriodReading* last = nullptr;
  for (const auto& reading : readings)
    if (reading.period < period) last = &reading;
  return last;
}

// Rules (b) and (c): the period has no usable reading.
MeteredVolume fallback_volume(const std::vector<PeriodReading>& readings, std::chrono::year_month period,
                              const Norm& norm, const Occupancy& occupancy, const FallbackRules& rules) {
  MeteredVolume result;
  result.method = VolumeMethod::norm;
  result.volume = norm_volume(norm, occupancy);
  const PeriodReading* last = last_before(readings, period);
  if (last == nullptr) return result;
  result.periods_without_reading = months_between(last->period, period);
  if (result.periods_without_reading > rules.average_months) return result;

  // Recorded months, newest first: a month whose reading follows the previous month's.
  std::vector<Decimal> recorded;
  for (std::size_t i = readings.size(); i-- > 1;) {
    if (!(readings[i].period < period)) continue;
    if (static_cast<int>(recorded.size()) >= rules.history_months) break;
    if (months_between(readings[i - 1].period, readings[i].period) == 1)
      recorded.push_back(consumption_between(readings[i - 1], readings[i]));
  }
  if (recorded.empty() || static_cast<int>(recorded.size()) < rules.min_history_months) return result;

  Exact sum = 0;
  for (const auto& month : recorded) sum += to_exact(month);
  result.method = VolumeMethod::average;
  result.history_months = static_cast<int>(recorded.size());
  result.volume = round_half_up(sum / Exact(result.history_months), rules.average_decimals);
  return result;
}
}  // namespace

std::string_view to_string(VolumeMethod method) {
  switch (method) {
    case VolumeMethod::reading: return "reading";
    case VolumeMethod::average: return "average";
    case VolumeMethod::norm: return "norm";
    case VolumeMethod::area: return "area";
  }
  return "unknown";
}

Decimal norm_volume(const Norm& norm, const Occupancy& occupancy) {
  if (norm.basis == NormBasis::per_area) return multiply(norm.volume, Decimal{occupancy.area_hundredths, 2});
  return multiply(norm.volume, occupancy.persons);
}

MeteredVolume metered_volume(const std::vector<PeriodReading>& readings, std::chrono::year_month period,
                             const Norm& norm, const Occupancy& occupancy, const FallbackRules& rules) {
  check_ascending(readings);
  auto current = std::find_if(readings.begin(), readings.end(),
                              [period](const PeriodReading& reading) { return reading.period == period; });
  const PeriodReading* previous = last_before(readings, period);
  // A meter's very first reading is only where it starts counting: its period has no
  // consumption of its own and falls to the norm like any period without a meter.
  if (current == readings.end() || previous == nullptr) return fallback_volume(readings, period, norm, occupancy, rules);

  MeteredVolume result;
  result.method = VolumeMethod::reading;
  result.consumption_since_previous = consumption_between(*previous, *current);
  result.volume = *result.consumption_since_previous;
  for (auto month = previous->period + std::chrono::months{1}; month < period; month += std::chrono::months{1}) {
    result.volume = subtract(result.volume, fallback_volume(readings, month, norm, occupancy, rules).volume);
    ++result.recalculated_periods;
  }
  return result;
}

std::chrono::year_month_day due_date_of(std::chrono::year_month period, const BillingRules& rules) {
  auto month = period + std::chrono::months{1};
  auto last = std::chrono::year_month_day_last{month.year(), std::chrono::month_day_last{month.month()}};
  unsigned day = std::clamp(rules.due_day, 1u, static_cast<unsigned>(last.day()));
  return std::chrono::year_month_day{month.year(), month.month(), std::chrono::day{day}};
}

std::int64_t amount_of(const Decimal& volume, std::int64_t tariff_kopecks) {
  return round_half_up(to_exact(volume) * Exact(tariff_kopecks));
}

Bill make_bill(const BillInput& input, const BillingRules& billing, const FallbackRules& fallback) {
  Bill bill;
  bill.period = input.period;
  bill.due_date = due_date_of(input.period, billing);
  for (const auto& service : input.services) {
    BillLine line;
    line.service = service.name;
    line.unit = service.unit;
    line.tariff_kopecks = service.tariff_kopecks;
    if (service.basis == ServiceBasis::per_area) {
      line.method = VolumeMethod::area;
      line.volume = Decimal{input.occupancy.area_hundredths, 2};
    } else {
      for (const auto& meter : input.meters)
        if (meter.type == service.meter)
          line.meters.push_back(metered_volume(meter.readings, input.period, service.norm, input.occupancy, fallback));
      bool by_norm = line.meters.empty() || std::any_of(line.meters.begin(), line.meters.end(), [](const MeteredVolume& m) {
                       return m.method == VolumeMethod::norm;
                     });
      if (by_norm) {
        line.method = VolumeMethod::norm;
        line.volume = norm_volume(service.norm, input.occupancy);
      } else {
        line.method = VolumeMethod::reading;
        for (const auto& meter : line.meters) {
          line.volume = add(line.volume, meter.volume);
          if (meter.method == VolumeMethod::average) line.method = VolumeMethod::average;
        }
      }
    }
    line.amount_kopecks = amount_of(line.volume, line.tariff_kopecks);
    bill.total_kopecks += line.amount_kopecks;
    bill.lines.push_back(std::move(line));
  }
  return bill;
}

}  // namespace domovoy::housing::law
