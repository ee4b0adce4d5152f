#pragma once
// Meter readings as residents type them into a bot, and the checks a reading passes before it is
// accepted (Government Decree No. 354, HOUSING.md "Meter readings"): read the number exactly,
// refuse the typos a person can be told about, and say which billing period a reading counts for.
#include <chrono>
#include <optional>
#include <string_view>
#include <variant>

#include "housing/registry/decimal.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing::law {

// ---- The number ------------------------------------------------------------------------------

enum class ReadingParseError {
  empty,               // "" or only spaces
  not_a_number,        // "abc", "12a", "1e3", ",5", "5,": nothing a person means as a reading
  negative,            // "-5": a meter never runs below zero
  several_separators,  // "12,3,4", "12.3,4"
  too_many_decimals,   // more than ReadingFormat::max_decimals
  too_large,           // more integer digits than any household meter shows (or than 64 bits hold)
};
std::string_view to_string(ReadingParseError error);  // "empty", "not_a_number", ...

// Not law: what household meters show. Water meters have 5 integer digits and 3 decimals,
// electricity 5..7 and 1..2, heat meters up to 6 decimals of a Gcal.
struct ReadingFormat {
  int max_decimals = 6;
  int max_integer_digits = 9;  // leading zeros ("00123,456") are not counted
};

// "123,45", "123.45", "00123,456", " 42 " (ASCII spaces and tabs around the number are
// dropped). The digits are kept exactly: "00123,450" is {123450, 3}. Wraps parse_decimal.
std::variant<Decimal, ReadingParseError> parse_reading_value(std::string_view text, const ReadingFormat& format = {});

// ---- Accepting a reading ---------------------------------------------------------------------

// Typo protection, not law (HOUSING.md: "implausibly high for the period"): the most a flat
// plausibly consumes in a month. Deliberately generous; an operator tunes them per building.
struct ReadingLimits {
  Decimal cold{30, 0};          // m³
  Decimal hot{20, 0};           // m³
  Decimal power_day{1500, 0};   // kWh
  Decimal power_night{1000, 0}; // kWh
  Decimal heat{5, 0};           // Gcal
  Decimal gas{100, 0};          // m³
  int days_per_month = 30;      // the elapsed time is counted in months of this many days, rounded up

  const Decimal& monthly_max(MeterType type) const;
};

struct PreviousReading {
  Decimal value;
  std::chrono::year_month_day date;
};

struct ReadingCheckInput {
  MeterType type = MeterType::cold;
  std::chrono::year_month_day verified_until;  // the meter's calibration due date
  std::optional<PreviousReading> previous;     // none for a meter's first reading
  bool replaced_since_previous = false;        // a new meter starts from its own value
  Decimal value;                               // the new reading
  std::chrono::year_month_day today;
};

enum class ReadingRefusal {
  // today is after verified_until: the meter is out of service and its readings are not used for
  // billing until it is verified again (Decree 354 п. 81(12) «д»).
  verification_expired,
  lower_than_previous,  // unless the meter was replaced
  implausibly_high,     // consumption above ReadingLimits for the months elapsed
};
std::string_view to_string(ReadingRefusal refusal);  // "verification_expired", ...

// Everything a bot needs to explain an answer ("Показание 150,000 меньше предыдущего 160,000").
struct ReadingCheck {
  std::optional<ReadingRefusal> refusal;  // none: accepted
  std::optional<Decimal> previous;        // the previous value, when there is one
  // new - previous, when there is a previous reading and the meter was not replaced.
  std::optional<Decimal> consumption;
  int months_elapsed = 1;                      // max(1, ceil(days since previous / days_per_month))
  Decimal allowed_consumption;                 // monthly max × months_elapsed
  std::optional<Decimal> highest_allowed_value;  // previous + allowed_consumption
  std::chrono::year_month_day verified_until;

  bool accepted() const { return !refusal.has_value(); }
};

// The checks in order: verification, then (unless replaced) lower than the previous, then
// implausibly high. A reading equal to the previous one (nothing consumed) is accepted.
ReadingCheck check_reading(const ReadingCheckInput& input, const ReadingLimits& limits = {});

// ---- Which month a reading counts for --------------------------------------------------------

// Decree 354 п. 31 «е»: the provider takes readings from the 20th to the 25th of each month
// unless the contract sets other days.
struct ReadingWindow {
  unsigned first_day = 20;
  unsigned last_day = 25;
};

struct ReadingPeriod {
  std::chrono::year_month period;  // the billing period the reading counts for
  bool in_window = false;          // taken on first_day..last_day
};

// A reading taken on days 1..last_day of month M counts for M (in_window only from first_day);
// one taken after last_day counts for M + 1 (December's 26th counts for January of the next year).
// Readings outside the window are accepted (HOUSING.md), just marked.
ReadingPeriod billing_period_of(std::chrono::year_month_day date, const ReadingWindow& window = {});

}  // namespace domovoy::housing::law
