#pragma once
// ISO 8601 / RFC 3339 times in UTC as the admin API and the housing files show them
// ("2026-12-20T10:00:00Z"), to and from milliseconds since the Unix epoch.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy {

// "2026-12-20T10:00:00Z" (with ".123" when the milliseconds are not zero).
std::string format_iso8601(std::int64_t ms);
// Accepts YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM) and a plain date YYYY-MM-DD (midnight UTC).
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace domovoy
