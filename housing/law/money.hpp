#pragma once
// Money as people read and type it, in kopecks (std::int64_t), never floating point.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace domovoy::housing::law {

// "1 234,56 ₽": groups of three digits separated by a no-break space (U+00A0), a decimal comma,
// always two decimals, a no-break space and the rouble sign — Russian typography as CLDR's ru
// locale writes it, and a line never breaks inside an amount. A debt or credit below zero starts
// with an ASCII '-': "-50,00 ₽".
std::string format_rubles(std::int64_t kopecks);

enum class MoneyParseError {
  empty,              // nothing but spaces
  not_a_number,       // "abc", "1 50" (a group that is not three digits), "1,500.50", "5,"
  negative,           // "-100"
  zero,               // "0", "0,00": nothing to pay
  too_many_decimals,  // "10,505": there is nothing below a kopeck
  too_large,          // beyond 64 bits of kopecks
};
std::string_view to_string(MoneyParseError error);  // "empty", "not_a_number", ...

// An amount a person types: "1500", "1500,50", "1 500.5", "1 500,50 ₽", "1500 руб.". Rubles with
// at most two decimals after '.' or ','; thousands may be grouped by spaces (ASCII, no-break
// U+00A0, narrow no-break U+202F or thin U+2009), every group after the first three digits; a
// trailing "₽", "р", "р.", "руб" or "руб." is allowed. Spaces around are dropped.
std::variant<std::int64_t, MoneyParseError> parse_rubles(std::string_view text);

}  // namespace domovoy::housing::law
