#pragma once
// Residents speak Russian: every text a bot says exists in Russian and English, and each user is
// answered in theirs: the one they set (`!язык en`), otherwise the one their command is written in.
#include <string>
#include <string_view>

namespace domovoy::housing {

enum class Language { ru, en };

struct Text {
  std::string ru;
  std::string en;
  const std::string& in(Language language) const { return language == Language::en ? en : ru; }
};

// Cyrillic letters make a text Russian; Latin letters and no Cyrillic make it English; neither
// (a code, a number) gives `fallback`.
Language language_of(std::string_view text, Language fallback = Language::ru);
const char* language_code(Language language);  // "ru", "en"

}  // namespace domovoy::housing
