#pragma once
// Dates and months as residents read them: «20.12.2026», «декабрь 2026» in Russian;
// "2026-12-20", "December 2026" in English. Times are the homeserver's clock in Moscow time
// (UTC+3, no daylight saving since 2014), the time of the demo region and of most readers;
// a server for a region in another zone needs this constant made a setting.
#include <chrono>
#include <cstdint>
#include <string>

#include "housing/bots/language.hpp"

namespace domovoy::housing {

inline constexpr std::int64_t kRegionUtcOffsetMs = 3 * 3600 * 1000;

// The calendar date at `ms` in the region.
std::chrono::year_month_day local_date(std::int64_t ms);
// Midnight at the start of `date` in the region, as Unix milliseconds.
std::int64_t local_midnight_ms(std::chrono::year_month_day date);
std::string format_date(std::chrono::year_month_day date, Language language);
std::string format_date_ms(std::int64_t ms, Language language);
std::string format_date_time_ms(std::int64_t ms, Language language);  // «20.12.2026 10:00»
std::string format_month(std::chrono::year_month month, Language language);  // «декабрь 2026»
std::string format_month_key(std::chrono::year_month month);                 // "2026-12"

}  // namespace domovoy::housing
