#include "housing/verification/verification_code.hpp"

#include <sodium.h>

#include <array>
#include <cmath>
#include <cstdint>

#include "homeserver/events/signing_key.hpp"

namespace domovoy::housing {

namespace {
constexpr std::size_t kGroupLength = 4;
constexpr std::size_t kMaxTypedBytes = 64;  // a code with generous separators, and no more work

// Cyrillic capitals and small letters typed for the Latin character they look like.
constexpr std::array<std::pair<char32_t, char>, 24> kLookAlikes{{
    {U'А', 'A'}, {U'а', 'A'}, {U'В', 'B'}, {U'в', 'B'}, {U'Е', 'E'}, {U'е', 'E'}, {U'З', '3'}, {U'з', '3'},
    {U'К', 'K'}, {U'к', 'K'}, {U'М', 'M'}, {U'м', 'M'}, {U'Н', 'H'}, {U'н', 'H'}, {U'Р', 'P'}, {U'р', 'P'},
    {U'С', 'C'}, {U'с', 'C'}, {U'Т', 'T'}, {U'т', 'T'}, {U'Х', 'X'}, {U'х', 'X'}, {U'У', 'Y'}, {U'у', 'Y'},
}};

bool is_separator(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'-' || c == U'\u00A0' || c == U'\u202F' ||
         (c >= U'\u2010' && c <= U'\u2015') || c == U'\u2212';
}

// The next code point of UTF-8 `text` from `at`, advancing it; nullopt for a malformed or
// 4-byte sequence (nothing this normaliser accepts is that long).
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  std::size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : (lead >= 0xE0 && lead <= 0xEF ? 3 : 0);
  if (length == 0 || at + length > text.size()) return std::nullopt;
  char32_t code_point = lead & (length == 2 ? 0x1F : 0x0F);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return std::nullopt;
    code_point = (code_point << 6) | (byte(at + i) & 0x3F);
  }
  if (length == 3 && code_point < 0x800) return std::nullopt;  // overlong
  at += length;
  return code_point;
}

// The alphabet character `c` stands for, or 0.
char code_character(char32_t c) {
  if (c >= U'a' && c <= U'z') c = c - U'a' + U'A';
  if (c < 0x80) return kCodeAlphabet.find(static_cast<char>(c)) != std::string_view::npos ? static_cast<char>(c) : 0;
  for (const auto& [look_alike, latin] : kLookAlikes)
    if (look_alike == c) return latin;
  return 0;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xF]);
  }
  return hex;
}
}  // namespace

double verification_code_entropy_bits() {
  return static_cast<double>(kCodeLength) * std::log2(static_cast<double>(kCodeAlphabet.size()));
}

std::string generate_verification_code() {
  std::string code;
  for (std::size_t i = 0; i < kCodeLength; ++i)
    // randombytes_uniform draws without modulo bias.
    code.push_back(kCodeAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kCodeAlphabet.size()))]);
  return format_verification_code(code);
}

std::optional<std::string> normalise_verification_code(std::string_view typed) {
  if (typed.size() > kMaxTypedBytes) return std::nullopt;
  std::string code;
  for (std::size_t at = 0; at < typed.size();) {
    auto c = next_code_point(typed, at);
    if (!c) return std::nullopt;
    if (is_separator(*c)) continue;
    char character = code_character(*c);
    if (character == 0 || code.size() == kCodeLength) return std::nullopt;
    code.push_back(character);
  }
  if (code.size() != kCodeLength) return std::nullopt;
  return code;
}

std::string format_verification_code(std::string_view normalised) {
  std::string printed;
  for (std::size_t i = 0; i < normalised.size(); ++i) {
    if (i > 0 && i % kGroupLength == 0) printed.push_back('-');
    printed.push_back(normalised[i]);
  }
  return printed;
}

std::optional<std::string> hash_verification_code(std::string_view code) {
  auto normalised = normalise_verification_code(code);
  if (!normalised) return std::nullopt;
  return to_hex(sha256(*normalised));
}

}  // namespace domovoy::housing
