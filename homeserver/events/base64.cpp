#include "homeserver/events/base64.hpp"

#include <sodium.h>

#include <string>

namespace domovoy {

namespace {
std::string encode(std::string_view bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    variant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

char standard_char(int value) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return kAlphabet[value];
}
}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, sodium_base64_VARIANT_ORIGINAL_NO_PADDING); }

std::string base64_urlsafe_encode(std::string_view bytes) {
  return encode(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  // Normalise to the standard alphabet and clear the spare bits libsodium insists are zero.
  std::string normal;
  normal.reserve(text.size());
  for (char c : text) {
    int value = sextet(c);
    if (value < 0) return std::nullopt;
    normal.push_back(standard_char(value));
  }
  if (!normal.empty()) {
    int last = sextet(normal.back());
    if (normal.size() % 4 == 2) last &= 0x30;
    if (normal.size() % 4 == 3) last &= 0x3c;
    normal.back() = standard_char(last);
  }
  std::string out(normal.size() * 3 / 4 + 3, '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), normal.data(), normal.size(),
                        nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(length);
  return out;
}

}  // namespace domovoy
