#pragma once
// Decimal numbers written by people and meters ("54,30", "00123.456"), kept exactly as an
// integer count of the smallest unit and a scale, never through floating point: the areas weigh
// votes and the readings bill money.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy::housing {

// value = units / 10^scale: "123.456" is {123456, 3}; "00123,450" is {123450, 3}.
struct Decimal {
  std::int64_t units = 0;
  int scale = 0;

  friend bool operator==(const Decimal&, const Decimal&) = default;
  // "123.456", with the dot and every decimal of the scale.
  std::string to_string() const;
};

// A non-negative decimal: ASCII digits, optionally one '.' or ',' followed by 1..max_scale
// digits. No sign, exponent, spaces or thousands separators. nullopt when it does not fit in
// 64 bits or max_scale is above 18.
std::optional<Decimal> parse_decimal(std::string_view text, int max_scale);

// A floor area in hundredths of a square metre: "54.3", "54.30", "54,30" and "54" are all 5430.
// At most two decimals; nullopt otherwise.
std::optional<std::int64_t> parse_area_hundredths(std::string_view text);
// 5430 -> "54.30".
std::string format_area_hundredths(std::int64_t hundredths);

}  // namespace domovoy::housing
