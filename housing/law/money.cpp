#include "housing/law/money.hpp"

#include <array>
#include <limits>
#include <optional>

namespace domovoy::housing::law {

namespace {
constexpr std::string_view kNoBreakSpace = "\u00A0";
constexpr std::array<std::string_view, 4> kSpaces = {" ", "\u00A0", "\u202F", "\u2009"};
constexpr std::array<std::string_view, 5> kCurrency = {"₽", "руб.", "руб", "р.", "р"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The length of a space of kSpaces at the start of text, or 0.
std::size_t space_at(std::string_view text) {
  for (auto space : kSpaces)
    if (text.substr(0, space.size()) == space) return space.size();
  return 0;
}

std::string_view trim(std::string_view text) {
  while (true) {
    if (auto size = space_at(text)) {
      text.remove_prefix(size);
      continue;
    }
    if (!text.empty() && text.front() == '\t') {
      text.remove_prefix(1);
      continue;
    }
    bool trimmed = false;
    for (auto space : kSpaces)
      if (text.size() >= space.size() && text.substr(text.size() - space.size()) == space) {
        text.remove_suffix(space.size());
        trimmed = true;
      }
    if (!text.empty() && text.back() == '\t') {
      text.remove_suffix(1);
      trimmed = true;
    }
    if (!trimmed) return text;
  }
}

// Integer digits with optional grouping: "1500", "1 500", "12 345 678". The digits, or nullopt.
std::optional<std::string> integer_digits(std::string_view text) {
  std::string digits;
  std::size_t group = 0;  // digits in the current group
  bool grouped = false;
  while (!text.empty()) {
    if (is_digit(text.front())) {
      digits += text.front();
      ++group;
      text.remove_prefix(1);
      continue;
    }
    auto space = space_at(text);
    if (space == 0) return std::nullopt;
    // A separator comes after 1..3 digits (first group) or exactly 3 (the others) and before more.
    if (group == 0 || group > 3 || (grouped && group != 3)) return std::nullopt;
    grouped = true;
    group = 0;
    text.remove_prefix(space);
  }
  if (group == 0 || (grouped && group != 3)) return std::nullopt;
  return digits;
}
}  // namespace

std::string format_rubles(std::int64_t kopecks) {
  // The magnitude as unsigned, so that the most negative int64 has one too.
  auto magnitude = kopecks < 0 ? 0 - static_cast<std::uint64_t>(kopecks) : static_cast<std::uint64_t>(kopecks);
  std::string rubles = std::to_string(magnitude / 100);
  std::string grouped;
  for (std::size_t i = 0; i < rubles.size(); ++i) {
    if (i > 0 && (rubles.size() - i) % 3 == 0) grouped += kNoBreakSpace;
    grouped += rubles[i];
  }
  auto cents = magnitude % 100;
  std::string text = kopecks < 0 ? "-" : "";
  text += grouped;
  text += ',';
  text += static_cast<char>('0' + cents / 10);
  text += static_cast<char>('0' + cents % 10);
  text += kNoBreakSpace;
  text += "₽";
  return text;
}

std::string_view to_string(MoneyParseError error) {
  switch (error) {
    case MoneyParseError::empty: return "empty";
    case MoneyParseError::not_a_number: return "not_a_number";
    case MoneyParseError::negative: return "negative";
    case MoneyParseError::zero: return "zero";
    case MoneyParseError::too_many_decimals: return "too_many_decimals";
    case MoneyParseError::too_large: return "too_large";
  }
  return "unknown";
}

std::variant<std::int64_t, MoneyParseError> parse_rubles(std::string_view text) {
  text = trim(text);
  if (text.empty()) return MoneyParseError::empty;
  for (auto currency : kCurrency)
    if (text.size() > currency.size() && text.substr(text.size() - currency.size()) == currency) {
      text = trim(text.substr(0, text.size() - currency.size()));
      break;
    }
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text = trim(text.substr(1));
  if (text.empty()) return MoneyParseError::not_a_number;

  auto separator = text.find_first_of(".,");
  auto decimals = separator == std::string_view::npos ? std::string_view{} : text.substr(separator + 1);
  auto digits = integer_digits(text.substr(0, separator));
  if (!digits) return MoneyParseError::not_a_number;
  if (separator != std::string_view::npos) {
    if (decimals.empty()) return MoneyParseError::not_a_number;  // "5,"
    for (char c : decimals)
      if (!is_digit(c)) return MoneyParseError::not_a_number;  // "1,500.50", "5,5a"
    if (decimals.size() > 2) return MoneyParseError::too_many_decimals;
  }
  if (negative) return MoneyParseError::negative;

  std::string cents(decimals);
  cents.resize(2, '0');  // "1500,5" is 50 kopecks
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t kopecks = 0;
  for (char c : *digits + cents) {
    int digit = c - '0';
    if (kopecks > (kMax - digit) / 10) return MoneyParseError::too_large;
    kopecks = kopecks * 10 + digit;
  }
  if (kopecks == 0) return MoneyParseError::zero;
  return kopecks;
}

}  // namespace domovoy::housing::law
