#include "housing/bots/formatting.hpp"

#include <array>
#include <cstdio>

namespace domovoy::housing {

using namespace std::chrono;

year_month_day local_date(std::int64_t ms) {
  auto local = sys_days{} + floor<days>(milliseconds(ms + kRegionUtcOffsetMs));
  return year_month_day{local};
}

std::int64_t local_midnight_ms(year_month_day date) {
  return duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count() - kRegionUtcOffsetMs;
}

std::string format_date(year_month_day date, Language language) {
  char text[32];
  if (language == Language::ru)
    std::snprintf(text, sizeof text, "%02u.%02u.%04d", static_cast<unsigned>(date.day()), static_cast<unsigned>(date.month()),
                  static_cast<int>(date.year()));
  else
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()));
  return text;
}

std::string format_date_ms(std::int64_t ms, Language language) { return format_date(local_date(ms), language); }

std::string format_date_time_ms(std::int64_t ms, Language language) {
  auto local = ms + kRegionUtcOffsetMs;
  auto in_day = ((local % 86400000) + 86400000) % 86400000;
  char time[16];
  std::snprintf(time, sizeof time, "%02d:%02d", static_cast<int>(in_day / 3600000), static_cast<int>(in_day / 60000 % 60));
  return format_date_ms(ms, language) + " " + time;
}

std::string format_month(year_month month, Language language) {
  static const std::array<const char*, 12> ru = {"январь", "февраль", "март",     "апрель",  "май",    "июнь",
                                                 "июль",   "август",  "сентябрь", "октябрь", "ноябрь", "декабрь"};
  static const std::array<const char*, 12> en = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};
  auto index = static_cast<unsigned>(month.month()) - 1;
  return std::string(language == Language::ru ? ru[index] : en[index]) + " " + std::to_string(static_cast<int>(month.year()));
}

std::string format_month_key(year_month month) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u", static_cast<int>(month.year()), static_cast<unsigned>(month.month()));
  return text;
}

}  // namespace domovoy::housing
