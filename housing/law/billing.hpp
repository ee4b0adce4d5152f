#pragma once
// A month's bill for one apartment (personal account): each service's volume by the rules of
// Government Decree No. 354 — the meter's reading (п. 42), else for a few months the average
// consumption (п. 59 «б», п. 59(1)), else the norm (п. 60) — times the tariff, and the due date of
// ЖК РФ ст. 155 ч. 1. The rules are data (FallbackRules, BillingRules); volumes are exact
// Decimals and each amount is rounded once, half up, to a kopeck.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "housing/registry/decimal.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing::law {

// The volume of a metered service when no usable reading exists: the region's norm for a month,
// per registered person (water, electricity, gas) or per m² of the apartment (heating). Any
// raising coefficient the region applies is the operator's to fold into the volume.
enum class NormBasis { per_person, per_area };
struct Norm {
  Decimal volume;  // units of the service per person, or per m², per month
  NormBasis basis = NormBasis::per_person;
};

enum class ServiceBasis {
  metered,   // by the apartment's meters of Service::meter
  per_area,  // maintenance-like services: per m² of the apartment's area
};

struct Service {
  std::string name;                   // "Холодное водоснабжение"
  std::string unit;                   // "м³", "кВт·ч", "Гкал", "м²"
  std::int64_t tariff_kopecks = 0;    // per unit (metered) or per m² (per_area)
  ServiceBasis basis = ServiceBasis::per_area;
  MeterType meter = MeterType::cold;  // metered only
  Norm norm;                          // metered only
};

// A meter replaced between two readings: the old meter's last value and the new one's first,
// as the replacement act records them, so that the consumption across it is still exact.
struct MeterReplacement {
  Decimal old_final;
  Decimal new_initial;
};

// The reading that counts for a billing period (billing_period_of), one per period.
struct PeriodReading {
  std::chrono::year_month period;
  Decimal value;
  std::optional<MeterReplacement> replacement;  // the meter was replaced since the previous reading
};

struct MeterHistory {
  MeterType type = MeterType::cold;
  std::string serial;
  std::vector<PeriodReading> readings;  // ascending periods, at most one per period
};

// Decree 354 п. 59 «б», п. 59(1), п. 60.
struct FallbackRules {
  // A period without a reading is billed by the average while it is at most this many periods
  // after the last reading ("не более 3 расчетных периодов подряд", п. 59 «б»), then by the norm
  // (п. 60).
  int average_months = 3;
  // The average is of the last this many months with a recorded consumption (п. 59(1): "не менее
  // 6 месяцев")...
  int history_months = 6;
  // ...or of fewer when the meter has worked less (п. 59(1): "за фактический период работы"), but
  // of at least this many. 1 is the project's default; an operator reading п. 59(1) as requiring
  // a longer working period sets it here.
  int min_history_months = 1;
  // The average is rounded half up to this many decimals (the law sets no precision; 3 is a litre
  // of water), so that the printed volume × tariff is the printed amount.
  int average_decimals = 3;
};

// ЖК РФ ст. 155 ч. 1: "до десятого числа месяца, следующего за истекшим месяцем", unless the
// contract sets another day.
struct BillingRules {
  unsigned due_day = 10;  // of the month after the billed one; past the month's end, its last day
};

enum class VolumeMethod {
  reading,  // reading(P) - the previous reading
  average,  // average monthly consumption (п. 59)
  norm,     // norm × persons or × m² (п. 60, or п. 42 without a meter)
  area,     // per_area services: the apartment's area
};
std::string_view to_string(VolumeMethod method);  // "reading", "average", "norm", "area"

struct Occupancy {
  std::int64_t area_hundredths = 0;  // the apartment's floor area, 1/100 m²
  // Registered persons; when nobody is registered, Decree 354 п. 56(2) bills by the number of
  // owners: the caller passes that number here.
  int persons = 0;
};

struct MeteredVolume {
  Decimal volume;
  VolumeMethod method = VolumeMethod::norm;
  // average / norm: periods since the meter's last reading (1 for the month right after it);
  // 0 when the meter has no earlier reading at all.
  int periods_without_reading = 0;
  int history_months = 0;  // average: how many recorded months were averaged
  // reading: the consumption since the previous reading, and how many periods in between were
  // billed without a reading. Their billed volumes are deducted from this period's so that over
  // the gap exactly the metered consumption is billed (the recalculation of п. 61); the volume
  // can therefore be negative, a credit.
  std::optional<Decimal> consumption_since_previous;
  int recalculated_periods = 0;
};

// The volume of one meter for `period`:
//   (a) a reading for the period and an earlier one: the consumption between them, less what
//       the periods between were billed;
//   (b) else, when the last reading is at most rules.average_months periods back and there are at
//       least rules.min_history_months months of recorded consumption (a month whose reading
//       and the previous month's both exist): the average of the last rules.history_months of
//       them;
//   (c) else the norm.
// Throws std::invalid_argument when the readings are not in ascending periods.
MeteredVolume metered_volume(const std::vector<PeriodReading>& readings, std::chrono::year_month period,
                             const Norm& norm, const Occupancy& occupancy, const FallbackRules& rules = {});

// The norm volume of a month: norm × persons, or norm × area in m².
Decimal norm_volume(const Norm& norm, const Occupancy& occupancy);

struct BillLine {
  std::string service;
  std::string unit;
  std::int64_t tariff_kopecks = 0;
  Decimal volume;
  VolumeMethod method = VolumeMethod::area;
  std::int64_t amount_kopecks = 0;  // volume × tariff, rounded half up
  // Metered services: each meter of the type, in the order given. When any of them falls to the
  // norm, or there is none, the whole service is billed by the norm once (the norm describes the
  // apartment's consumption, not one meter's); otherwise the volumes add up.
  std::vector<MeteredVolume> meters;
};

struct BillInput {
  std::chrono::year_month period;
  Occupancy occupancy;
  std::vector<Service> services;
  std::vector<MeterHistory> meters;
};

struct Bill {
  std::chrono::year_month period;
  std::vector<BillLine> lines;  // in the order of the services
  std::int64_t total_kopecks = 0;
  std::chrono::year_month_day due_date;
};

// The 10th (rules.due_day) of the month after `period`. A due day that falls on a weekend or a
// holiday moves to the next working day (ГК РФ ст. 193); that needs the production calendar, so
// the caller does it.
std::chrono::year_month_day due_date_of(std::chrono::year_month period, const BillingRules& rules = {});

// The amount of a volume at a tariff: volume × tariff, rounded half up to a kopeck.
std::int64_t amount_of(const Decimal& volume, std::int64_t tariff_kopecks);

Bill make_bill(const BillInput& input, const BillingRules& billing = {}, const FallbackRules& fallback = {});

}  // namespace domovoy::housing::law
