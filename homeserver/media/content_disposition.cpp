#include "homeserver/media/content_disposition.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "homeserver/core/case_fold.hpp"

namespace domovoy {

namespace {
constexpr std::array<std::string_view, 26> kInlineTypes = {
    "text/css",   "text/plain",  "text/csv",     "application/json", "application/ld+json", "image/jpeg",
    "image/gif",  "image/png",   "image/apng",   "image/webp",       "image/avif",          "video/mp4",
    "video/webm", "video/ogg",   "video/quicktime", "audio/mp4",     "audio/webm",          "audio/aac",
    "audio/mpeg", "audio/ogg",   "audio/wave",   "audio/wav",        "audio/x-wav",         "audio/x-pn-wav",
    "audio/flac", "audio/x-flac"};

std::string media_type_of(std::string_view content_type) {
  auto end = content_type.find(';');
  auto type = content_type.substr(0, end);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.remove_suffix(1);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) type.remove_prefix(1);
  return ascii_lower(type);
}

// RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
bool is_attr_char(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
}  // namespace

bool is_inline_safe_content_type(std::string_view content_type) {
  auto type = media_type_of(content_type);
  return std::find(kInlineTypes.begin(), kInlineTypes.end(), type) != kInlineTypes.end();
}

std::string content_disposition(std::string_view content_type, std::string_view filename) {
  std::string out = is_inline_safe_content_type(content_type) ? "inline" : "attachment";
  if (filename.empty()) return out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "; filename*=utf-8''";
  for (unsigned char c : filename) {
    if (is_attr_char(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool is_acceptable_filename(std::string_view filename) {
  if (filename.size() > 255) return false;
  return std::none_of(filename.begin(), filename.end(),
                      [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

}  // namespace domovoy
