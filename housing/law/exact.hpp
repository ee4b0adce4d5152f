#pragma once
// Exact arithmetic for the legal rules: a rational number of unbounded size, the conversions
// from the registry's Rational and Decimal, and the one rounding the law needs (to a kopeck,
// half up). Vote tallies sum area × share over a whole building: with shares such as 1/3, 1/7
// and 1/11 in different apartments the common denominator outgrows 64 bits long before 1,000
// apartments, so nothing here is limited to 64 bits until a final amount is rounded.
#include <cstdint>

#include <boost/multiprecision/cpp_int.hpp>

#include "housing/registry/decimal.hpp"
#include "housing/registry/rational.hpp"

namespace domovoy::housing::law {

// Header-only (Boost.Multiprecision), always in lowest terms, never rounds.
using Exact = boost::multiprecision::cpp_rational;

Exact to_exact(const Rational& value);
// units / 10^scale; throws std::invalid_argument for a scale outside 0..18.
Exact to_exact(const Decimal& value);

// The nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3): the usual commercial
// rounding of an amount to a kopeck. Throws std::overflow_error when it does not fit in 64 bits.
std::int64_t round_half_up(const Exact& value);

// The nearest Decimal with `scale` decimals (0..18), halves away from zero. Throws
// std::overflow_error when it does not fit, std::invalid_argument for a scale out of range.
Decimal round_half_up(const Exact& value, int scale);

// toward zero; throws std::overflow_error when it does not fit in 64 bits.
std::int64_t truncate(const Exact& value);

}  // namespace domovoy::housing::law
