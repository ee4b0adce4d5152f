#pragma once
// How media is served (client-server-api "Serving inline content"): inline only for the types
// the spec lists as safe to render, as an attachment otherwise, and the file name encoded so that
// no name can break out of the header.
#include <string>
#include <string_view>

namespace domovoy {

// Whether a Content-Type (parameters aside, any case) may be served inline.
bool is_inline_safe_content_type(std::string_view content_type);

// "inline; filename*=utf-8''<name>" or "attachment; ...": RFC 6266 with the RFC 8187 encoding,
// so any byte of the name is percent-encoded; without a file name when `filename` is empty.
std::string content_disposition(std::string_view content_type, std::string_view filename);

// A file name a client may give (upload ?filename=, download path): at most 255 bytes and no
// control characters (CR/LF would inject headers).
bool is_acceptable_filename(std::string_view filename);

// The headers every media response carries: a sandboxing Content-Security-Policy and nosniff.
inline constexpr std::string_view kMediaContentSecurityPolicy =
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; "
    "media-src 'self'; object-src 'self';";

}  // namespace domovoy
