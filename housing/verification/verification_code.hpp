#pragma once
// One-time codes that tie a resident to an apartment: printed on the paper bill or handed out by
// the management company, then typed by the resident, often on a phone with a Russian keyboard.
//
// Ten characters from 30 that cannot be mistaken for one another (no 0/O, 1/I/L, nor U),
// printed in groups, e.g. "K7QM-4XRT-PW": 10 * log2(30) = 49.07 bits, drawn with libsodium's
// CSPRNG. Only the hash of a code is stored.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy::housing {

inline constexpr std::string_view kCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
inline constexpr std::size_t kCodeLength = 10;

// kCodeLength * log2(alphabet size).
double verification_code_entropy_bits();

// A new code as printed: groups of four joined by dashes, "K7QM-4XRT-PW".
std::string generate_verification_code();

// The code a person typed, in its canonical form ("K7QM4XRTPW"), or nullopt when it is not a
// code. Letter case does not matter; spaces, tabs, dashes (also the typographic ones) and
// no-break spaces are dropped; Cyrillic letters that look like Latin ones (А В Е К М Н Р С Т
// Х У, З for 3, either case) are read as those, since Russian keyboards type them. Characters
// outside the alphabet, including 0 O 1 I L U, make it not a code rather than being guessed.
std::optional<std::string> normalise_verification_code(std::string_view typed);

// Canonical "K7QM4XRTPW" -> printed "K7QM-4XRT-PW".
std::string format_verification_code(std::string_view normalised);

// What to store and look a code up by: lower-case hex sha256 of the normalised code. Accepts
// the code as printed or typed; nullopt when it is not a code.
std::optional<std::string> hash_verification_code(std::string_view code);

}  // namespace domovoy::housing
