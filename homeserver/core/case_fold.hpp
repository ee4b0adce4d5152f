#pragma once
// Case folding for what residents type: ASCII and Cyrillic (А-Я, Ё) to lower case, «ё» to «е»,
// other bytes unchanged. Enough to compare Russian and English words and names without a locale.
#include <string>
#include <string_view>

namespace domovoy {

std::string fold_word(std::string_view word);

}  // namespace domovoy
