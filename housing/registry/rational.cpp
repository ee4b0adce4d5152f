#include "housing/registry/rational.hpp"

#include <charconv>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace domovoy::housing {

namespace {
// Products of two int64 and sums of two such products fit in 128 bits, so every operation is
// computed exactly and only its lowest-terms result has to fit back into 64 bits.
using Wide = __int128;

Wide absolute(Wide value) { return value < 0 ? -value : value; }

Wide gcd(Wide a, Wide b) {
  a = absolute(a);
  b = absolute(b);
  while (b != 0) {
    Wide rest = a % b;
    a = b;
    b = rest;
  }
  return a;
}

bool fits_int64(Wide value) {
  return value >= std::numeric_limits<std::int64_t>::min() && value <= std::numeric_limits<std::int64_t>::max();
}

std::optional<std::int64_t> parse_digits(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // from_chars accepts a leading '-': digits only.
  if (error != std::errc{} || end != digits.data() + digits.size() || digits.front() == '-') return std::nullopt;
  return value;
}

// Lowest terms with a positive denominator; both must then fit in 64 bits.
std::pair<std::int64_t, std::int64_t> lowest_terms(Wide numerator, Wide denominator) {
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  Wide divisor = gcd(numerator, denominator);
  if (divisor > 1) {
    numerator /= divisor;
    denominator /= divisor;
  }
  if (!fits_int64(numerator) || !fits_int64(denominator)) throw std::overflow_error("rational number out of range");
  return {static_cast<std::int64_t>(numerator), static_cast<std::int64_t>(denominator)};
}

Rational from_wide(Wide numerator, Wide denominator) {
  auto [num, den] = lowest_terms(numerator, denominator);
  return Rational(num, den);
}
}  // namespace

Rational::Rational(std::int64_t numerator, std::int64_t denominator) {
  if (denominator == 0) throw std::invalid_argument("rational number with a zero denominator");
  std::tie(numerator_, denominator_) = lowest_terms(numerator, denominator);
}

Rational operator+(const Rational& a, const Rational& b) {
  return from_wide(Wide(a.numerator_) * b.denominator_ + Wide(b.numerator_) * a.denominator_,
                   Wide(a.denominator_) * b.denominator_);
}

Rational operator-(const Rational& a, const Rational& b) {
  return from_wide(Wide(a.numerator_) * b.denominator_ - Wide(b.numerator_) * a.denominator_,
                   Wide(a.denominator_) * b.denominator_);
}

Rational operator*(const Rational& a, const Rational& b) {
  return from_wide(Wide(a.numerator_) * b.numerator_, Wide(a.denominator_) * b.denominator_);
}

std::strong_ordering operator<=>(const Rational& a, const Rational& b) {
  // Denominators are positive, so cross-multiplying keeps the order.
  Wide left = Wide(a.numerator_) * b.denominator_;
  Wide right = Wide(b.numerator_) * a.denominator_;
  if (left < right) return std::strong_ordering::less;
  if (left > right) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

std::string Rational::to_string() const {
  if (denominator_ == 1) return std::to_string(numerator_);
  return std::to_string(numerator_) + "/" + std::to_string(denominator_);
}

std::optional<Rational> parse_fraction(std::string_view text) {
  auto slash = text.find('/');
  auto numerator = parse_digits(text.substr(0, slash));
  if (!numerator) return std::nullopt;
  if (slash == std::string_view::npos) return Rational(*numerator);
  auto denominator = parse_digits(text.substr(slash + 1));
  if (!denominator || *denominator == 0) return std::nullopt;
  return Rational(*numerator, *denominator);
}

}  // namespace domovoy::housing
