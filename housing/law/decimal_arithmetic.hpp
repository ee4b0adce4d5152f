#pragma once
// Comparing and combining Decimals of different scales exactly: a meter read as "123,4" last
// month and "00123,456" this month has consumed 0.056 m³, which the member-wise == of Decimal
// ({1234, 1} against {123456, 3}) cannot see. Results keep the larger scale; nothing rounds.
#include <compare>
#include <cstdint>

#include "housing/registry/decimal.hpp"

namespace domovoy::housing::law {

// By value: 1.2 == 1.20.
std::strong_ordering compare(const Decimal& a, const Decimal& b);
bool same_value(const Decimal& a, const Decimal& b);

// The same value written with `scale` decimals (scale >= value.scale, at most 18).
// Throws std::invalid_argument for a smaller or out-of-range scale, std::overflow_error when the
// units do not fit in 64 bits.
Decimal rescale(const Decimal& value, int scale);

// At the larger of the two scales; throw std::overflow_error when the result does not fit.
Decimal add(const Decimal& a, const Decimal& b);
Decimal subtract(const Decimal& a, const Decimal& b);  // a - b: consumption = new - previous
// At the sum of the scales (at most 18): norm 0.0203 Gcal/m² × 54.30 m² = 1.102290 Gcal.
Decimal multiply(const Decimal& a, const Decimal& b);
Decimal multiply(const Decimal& a, std::int64_t factor);  // at a's scale: norm × persons

}  // namespace domovoy::housing::law
