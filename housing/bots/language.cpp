#include "housing/bots/language.hpp"

namespace domovoy::housing {

Language language_of(std::string_view text, Language fallback) {
  bool latin = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    // Cyrillic is U+0400..U+04FF: lead bytes 0xD0..0xD3 in UTF-8.
    if (byte >= 0xD0 && byte <= 0xD3) return Language::ru;
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z')) latin = true;
  }
  return latin ? Language::en : fallback;
}

const char* language_code(Language language) { return language == Language::en ? "en" : "ru"; }

}  // namespace domovoy::housing
