#include "housing/law/decimal_arithmetic.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace domovoy::housing::law {

namespace {
// Two int64 units at a common scale of at most 18 and their sum or product fit in 128 bits
// whenever the inputs are valid, so each operation is exact and only its result is range-checked.
using Wide = __int128;

constexpr int kMaxScale = 18;

Wide power_of_ten(int exponent) {
  Wide power = 1;
  for (int i = 0; i < exponent; ++i) power *= 10;
  return power;
}

void check_scale(int scale) {
  if (scale < 0 || scale > kMaxScale) throw std::invalid_argument("decimal scale out of range");
}

std::int64_t narrow(Wide value) {
  if (value < std::numeric_limits<std::int64_t>::min() || value > std::numeric_limits<std::int64_t>::max())
    throw std::overflow_error("decimal out of the 64-bit range");
  return static_cast<std::int64_t>(value);
}

// |units| < 2^63 and 10^18 < 2^60, so the product stays below 2^123.
Wide units_at(const Decimal& value, int scale) { return Wide(value.units) * power_of_ten(scale - value.scale); }
}  // namespace

std::strong_ordering compare(const Decimal& a, const Decimal& b) {
  check_scale(a.scale);
  check_scale(b.scale);
  int scale = std::max(a.scale, b.scale);
  Wide left = units_at(a, scale);
  Wide right = units_at(b, scale);
  if (left < right) return std::strong_ordering::less;
  if (left > right) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

bool same_value(const Decimal& a, const Decimal& b) { return compare(a, b) == std::strong_ordering::equal; }

Decimal rescale(const Decimal& value, int scale) {
  check_scale(value.scale);
  check_scale(scale);
  if (scale < value.scale) throw std::invalid_argument("rescaling would drop decimals");
  return Decimal{narrow(units_at(value, scale)), scale};
}

Decimal add(const Decimal& a, const Decimal& b) {
  check_scale(a.scale);
  check_scale(b.scale);
  int scale = std::max(a.scale, b.scale);
  return Decimal{narrow(units_at(a, scale) + units_at(b, scale)), scale};
}

Decimal subtract(const Decimal& a, const Decimal& b) {
  check_scale(a.scale);
  check_scale(b.scale);
  int scale = std::max(a.scale, b.scale);
  return Decimal{narrow(units_at(a, scale) - units_at(b, scale)), scale};
}

Decimal multiply(const Decimal& a, const Decimal& b) {
  check_scale(a.scale);
  check_scale(b.scale);
  check_scale(a.scale + b.scale);
  return Decimal{narrow(Wide(a.units) * b.units), a.scale + b.scale};
}

Decimal multiply(const Decimal& a, std::int64_t factor) {
  check_scale(a.scale);
  return Decimal{narrow(Wide(a.units) * factor), a.scale};
}

}  // namespace domovoy::housing::law
