#pragma once
// An exact fraction of 64-bit integers, for ownership shares and vote weights: shares such as
// 1/3 + 1/3 + 1/3 must add up to exactly 1, which no floating-point type guarantees.
// Always kept in lowest terms with a positive denominator, so equal values compare equal member
// by member. Arithmetic is exact or throws std::overflow_error; it never rounds.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy::housing {

class Rational {
 public:
  Rational() = default;
  // Throws std::invalid_argument for a zero denominator, std::overflow_error when the value in
  // lowest terms does not fit (only -2^63 / -1 and the like).
  Rational(std::int64_t numerator, std::int64_t denominator = 1);

  std::int64_t numerator() const { return numerator_; }
  std::int64_t denominator() const { return denominator_; }

  friend Rational operator+(const Rational& a, const Rational& b);
  friend Rational operator-(const Rational& a, const Rational& b);
  friend Rational operator*(const Rational& a, const Rational& b);
  Rational& operator+=(const Rational& other) { return *this = *this + other; }

  friend bool operator==(const Rational&, const Rational&) = default;
  friend std::strong_ordering operator<=>(const Rational& a, const Rational& b);

  // "5/6", or "1" and "-3" when the denominator is 1.
  std::string to_string() const;

 private:
  std::int64_t numerator_ = 0;
  std::int64_t denominator_ = 1;
};

// "p/q" or "p", p and q plain ASCII digits (no sign, no spaces), q > 0; nullopt otherwise or when
// a number does not fit in 64 bits.
std::optional<Rational> parse_fraction(std::string_view text);

}  // namespace domovoy::housing
