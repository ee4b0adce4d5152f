#include "housing/registry/decimal.hpp"

#include <limits>

namespace domovoy::housing {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr int kMaxScale = 18;  // 10^18 is the largest power of ten in an int64
}  // namespace

std::string Decimal::to_string() const {
  // The magnitude as unsigned, so that -2^63 has one too.
  auto magnitude = units < 0 ? 0 - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    auto width = static_cast<std::size_t>(scale);
    if (digits.size() <= width) digits.insert(0, width + 1 - digits.size(), '0');
    digits.insert(digits.size() - width, 1, '.');
  }
  return units < 0 ? "-" + digits : digits;
}

std::optional<Decimal> parse_decimal(std::string_view text, int max_scale) {
  if (max_scale < 0 || max_scale > kMaxScale) return std::nullopt;
  Decimal result;
  bool seen_separator = false;
  bool seen_integer_digit = false;
  for (char c : text) {
    if (c == '.' || c == ',') {
      if (seen_separator || !seen_integer_digit) return std::nullopt;
      seen_separator = true;
      continue;
    }
    if (!is_digit(c)) return std::nullopt;
    if (seen_separator) {
      if (++result.scale > max_scale) return std::nullopt;
    } else {
      seen_integer_digit = true;
    }
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    int digit = c - '0';
    if (result.units > (kMax - digit) / 10) return std::nullopt;
    result.units = result.units * 10 + digit;
  }
  // "54." and "" are typos, not numbers.
  if (!seen_integer_digit || (seen_separator && result.scale == 0)) return std::nullopt;
  return result;
}

std::optional<std::int64_t> parse_area_hundredths(std::string_view text) {
  auto decimal = parse_decimal(text, 2);
  if (!decimal) return std::nullopt;
  std::int64_t hundredths = decimal->units;
  for (int scale = decimal->scale; scale < 2; ++scale) {
    if (hundredths > std::numeric_limits<std::int64_t>::max() / 10) return std::nullopt;
    hundredths *= 10;
  }
  return hundredths;
}

std::string format_area_hundredths(std::int64_t hundredths) { return Decimal{hundredths, 2}.to_string(); }

}  // namespace domovoy::housing
