#pragma once
// Calendar dates as the registry writes them: "2029-05-01".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy::housing {

// Exactly YYYY-MM-DD, a real date of the years 1900..2199; nullopt otherwise.
std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view text);
std::string format_iso_date(std::chrono::year_month_day date);

}  // namespace domovoy::housing
