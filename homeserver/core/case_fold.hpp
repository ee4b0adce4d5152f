#pragma once
// Case folding for what residents type: ASCII and Cyrillic (А-Я, Ё) to lower case, «ё» to «е»,
// other bytes unchanged. Enough to compare Russian and English words and names without a locale.
#include <string>
#include <string_view>

namespace domovoy {

std::string fold_word(std::string_view word);

// ASCII letters to lower case, every other byte unchanged: for protocol names (URL schemes,
// media types, header parameters), which are case-insensitive in ASCII only.
std::string ascii_lower(std::string_view text);

}  // namespace domovoy
