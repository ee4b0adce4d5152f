#include "homeserver/core/time_format.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace domovoy {

namespace {
bool read_number(std::string_view text, std::size_t at, std::size_t width, int& out) {
  if (at + width > text.size()) return false;
  for (std::size_t i = at; i < at + width; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  std::from_chars(text.data() + at, text.data() + at + width, out);
  return true;
}
}  // namespace

std::string format_iso8601(std::int64_t ms) {
  using namespace std::chrono;
  sys_time<milliseconds> time{milliseconds{ms}};
  auto day = floor<days>(time);
  year_month_day date{day};
  hh_mm_ss clock{time - day};
  char text[40];
  auto millis = static_cast<int>(clock.subseconds().count());
  if (millis)
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()), millis);
  else
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
  return text;
}

std::optional<std::int64_t> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (!read_number(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !read_number(text, 5, 2, mo) ||
      text[7] != '-' || !read_number(text, 8, 2, d))
    return std::nullopt;
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t offset_minutes = 0;
  std::size_t at = 10;
  if (at < text.size()) {
    if ((text[at] != 'T' && text[at] != 't' && text[at] != ' ') || !read_number(text, at + 1, 2, h) ||
        text.size() < at + 9 || text[at + 3] != ':' || !read_number(text, at + 4, 2, mi) || text[at + 6] != ':' ||
        !read_number(text, at + 7, 2, s))
      return std::nullopt;
    if (h > 23 || mi > 59 || s > 60) return std::nullopt;
    at += 9;
    if (at < text.size() && text[at] == '.') {
      std::size_t digits = 0;
      ++at;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (digits < 3) ms = ms * 10 + (text[at] - '0');
        ++digits;
        ++at;
      }
      if (digits == 0) return std::nullopt;
      for (; digits < 3; ++digits) ms *= 10;
    }
    if (at >= text.size()) return std::nullopt;  // a time needs its zone
    if (text[at] == 'Z' || text[at] == 'z') {
      ++at;
    } else if (text[at] == '+' || text[at] == '-') {
      int oh = 0, om = 0;
      if (!read_number(text, at + 1, 2, oh) || text.size() < at + 6 || text[at + 3] != ':' ||
          !read_number(text, at + 4, 2, om))
        return std::nullopt;
      offset_minutes = (text[at] == '-' ? -1 : 1) * (oh * 60 + om);
      at += 6;
    } else {
      return std::nullopt;
    }
    if (at != text.size()) return std::nullopt;
  }
  auto total = sys_days{date}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s} + milliseconds{ms} -
               minutes{offset_minutes};
  return duration_cast<milliseconds>(total).count();
}

}  // namespace domovoy
