#pragma once
// Unpadded Base64 as Matrix uses it (appendices: "Unpadded Base64"), over libsodium's codec.
#include <optional>
#include <string>
#include <string_view>

namespace domovoy {

std::string base64_encode(std::string_view bytes);          // standard alphabet, no padding
std::string base64_urlsafe_encode(std::string_view bytes);  // '-' and '_', no padding
// Decoding is lenient as the spec asks: padding optional, and non-zero spare bits in the last
// character (as in the spec's own signing-key seed) are ignored. Either alphabet is accepted.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace domovoy
