#include "housing/law/meter_reading.hpp"

#include <algorithm>

#include "housing/law/dates.hpp"
#include "housing/law/decimal_arithmetic.hpp"

namespace domovoy::housing::law {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_separator(char c) { return c == '.' || c == ','; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The first error a person has to fix in a text that has no sign, in the order a reader sees it.
std::optional<ReadingParseError> shape_error(std::string_view text, const ReadingFormat& format) {
  if (!std::all_of(text.begin(), text.end(), [](char c) { return is_digit(c) || is_separator(c); }))
    return ReadingParseError::not_a_number;
  auto separators = std::count_if(text.begin(), text.end(), is_separator);
  if (separators > 1) return ReadingParseError::several_separators;
  // ",5" and "5," are half a number: parse_decimal refuses them and so do we.
  if (text.empty() || is_separator(text.front()) || is_separator(text.back())) return ReadingParseError::not_a_number;
  auto separator = std::find_if(text.begin(), text.end(), is_separator);
  auto decimals = separator == text.end() ? 0 : text.end() - separator - 1;
  if (decimals > format.max_decimals) return ReadingParseError::too_many_decimals;
  auto first_significant = std::find_if(text.begin(), separator, [](char c) { return c != '0'; });
  if (separator - first_significant > format.max_integer_digits) return ReadingParseError::too_large;
  return std::nullopt;
}
}  // namespace

std::string_view to_string(ReadingParseError error) {
  switch (error) {
    case ReadingParseError::empty: return "empty";
    case ReadingParseError::not_a_number: return "not_a_number";
    case ReadingParseError::negative: return "negative";
    case ReadingParseError::several_separators: return "several_separators";
    case ReadingParseError::too_many_decimals: return "too_many_decimals";
    case ReadingParseError::too_large: return "too_large";
  }
  return "unknown";
}

std::variant<Decimal, ReadingParseError> parse_reading_value(std::string_view text, const ReadingFormat& format) {
  text = trim(text);
  if (text.empty()) return ReadingParseError::empty;
  if (text.front() == '-') {
    // "-5" is a negative number and gets its own answer; "-abc" and "-" are not numbers at all.
    auto rest = text.substr(1);
    if (rest.empty() || !is_digit(rest.front())) return ReadingParseError::not_a_number;
    if (auto error = shape_error(rest, format); error == ReadingParseError::not_a_number) return *error;
    return ReadingParseError::negative;
  }
  if (auto error = shape_error(text, format)) return *error;
  // The shape is right, so the only refusal left is a number beyond 64 bits (a format allowing
  // more digits than int64 holds).
  auto decimal = parse_decimal(text, format.max_decimals);
  if (!decimal) return ReadingParseError::too_large;
  return *decimal;
}

std::string_view to_string(ReadingRefusal refusal) {
  switch (refusal) {
    case ReadingRefusal::verification_expired: return "verification_expired";
    case ReadingRefusal::lower_than_previous: return "lower_than_previous";
    case ReadingRefusal::implausibly_high: return "implausibly_high";
  }
  return "unknown";
}

const Decimal& ReadingLimits::monthly_max(MeterType type) const {
  switch (type) {
    case MeterType::cold: return cold;
    case MeterType::hot: return hot;
    case MeterType::power_day: return power_day;
    case MeterType::power_night: return power_night;
    case MeterType::heat: return heat;
    case MeterType::gas: return gas;
  }
  return cold;
}

ReadingCheck check_reading(const ReadingCheckInput& input, const ReadingLimits& limits) {
  ReadingCheck check;
  check.verified_until = input.verified_until;
  const Decimal& monthly_max = limits.monthly_max(input.type);
  if (input.previous) {
    check.previous = input.previous->value;
    int days = days_between(input.previous->date, input.today);
    int per_month = std::max(1, limits.days_per_month);
    check.months_elapsed = std::max(1, (days + per_month - 1) / per_month);
  }
  check.allowed_consumption = multiply(monthly_max, check.months_elapsed);
  if (input.previous) check.highest_allowed_value = add(input.previous->value, check.allowed_consumption);

  if (std::chrono::sys_days(input.today) > std::chrono::sys_days(input.verified_until)) {
    check.refusal = ReadingRefusal::verification_expired;
    return check;
  }
  if (!input.previous || input.replaced_since_previous) return check;
  check.consumption = subtract(input.value, input.previous->value);
  if (compare(*check.consumption, Decimal{}) < 0)
    check.refusal = ReadingRefusal::lower_than_previous;
  else if (compare(*check.consumption, check.allowed_consumption) > 0)
    check.refusal = ReadingRefusal::implausibly_high;
  return check;
}

ReadingPeriod billing_period_of(std::chrono::year_month_day date, const ReadingWindow& window) {
  auto day = static_cast<unsigned>(date.day());
  std::chrono::year_month month{date.year(), date.month()};
  if (day > window.last_day) return {month + std::chrono::months{1}, false};
  return {month, day >= window.first_day};
}

}  // namespace domovoy::housing::law
