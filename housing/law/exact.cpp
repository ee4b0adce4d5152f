#include "housing/law/exact.hpp"

#include <limits>
#include <stdexcept>

namespace domovoy::housing::law {

namespace {
using boost::multiprecision::cpp_int;

constexpr int kMaxScale = 18;  // as parse_decimal: 10^18 is the largest power of ten in an int64

cpp_int power_of_ten(int scale) {
  cpp_int power = 1;
  for (int i = 0; i < scale; ++i) power *= 10;
  return power;
}

std::int64_t to_int64(const cpp_int& value) {
  if (value < std::numeric_limits<std::int64_t>::min() || value > std::numeric_limits<std::int64_t>::max())
    throw std::overflow_error("value out of the 64-bit range");
  return value.convert_to<std::int64_t>();
}

cpp_int round_to_integer(const Exact& value) {
  const cpp_int& numerator = boost::multiprecision::numerator(value);
  const cpp_int& denominator = boost::multiprecision::denominator(value);  // always positive
  cpp_int quotient = numerator / denominator;  // truncates toward zero
  cpp_int remainder = numerator % denominator;  // has the sign of the numerator
  if (remainder < 0) remainder = -remainder;
  if (remainder * 2 >= denominator) quotient += numerator < 0 ? -1 : 1;
  return quotient;
}
}  // namespace

Exact to_exact(const Rational& value) { return Exact(value.numerator(), value.denominator()); }

Exact to_exact(const Decimal& value) {
  if (value.scale < 0 || value.scale > kMaxScale) throw std::invalid_argument("decimal scale out of range");
  return Exact(cpp_int(value.units), power_of_ten(value.scale));
}

std::int64_t round_half_up(const Exact& value) { return to_int64(round_to_integer(value)); }

Decimal round_half_up(const Exact& value, int scale) {
  if (scale < 0 || scale > kMaxScale) throw std::invalid_argument("decimal scale out of range");
  return Decimal{to_int64(round_to_integer(value * Exact(power_of_ten(scale)))), scale};
}

std::int64_t truncate(const Exact& value) {
  return to_int64(boost::multiprecision::numerator(value) / boost::multiprecision::denominator(value));
}

}  // namespace domovoy::housing::law
