#include "housing/registry/iso_date.hpp"

#include <algorithm>
#include <cstdio>

namespace domovoy::housing {

namespace {
bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}
}  // namespace

std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = text.substr(0, 4);
  auto month = text.substr(5, 2);
  auto day = text.substr(8, 2);
  if (!all_digits(year) || !all_digits(month) || !all_digits(day)) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(number(year)),
                                   std::chrono::month(static_cast<unsigned>(number(month))),
                                   std::chrono::day(static_cast<unsigned>(number(day)))};
  if (!date.ok() || date.year() < std::chrono::year(1900) || date.year() > std::chrono::year(2199)) return std::nullopt;
  return date;
}

std::string format_iso_date(std::chrono::year_month_day date) {
  char text[40];  // room for any int and unsigned, so the compiler sees no truncation
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()));
  return text;
}

}  // namespace domovoy::housing
