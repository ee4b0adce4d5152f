#pragma once
// A bot command as a resident types it: `!показания хвс 123,45`, `!Счёт 2026-11`, `!help`, and
// commands whose body continues on the next lines (`!собрание новое`). Forgiving: the word's
// letter case does not matter and «ё» is «е» (`!счет` is `!счёт`).
#include "homeserver/core/case_fold.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "housing/bots/language.hpp"

namespace domovoy::housing {

struct Command {
  std::string word;                // normalised, without '!': "показания", "счет", "help"
  std::string args;                // the rest of the first line, trimmed
  std::vector<std::string> lines;  // the following lines, trimmed, empty ones dropped
  Language language = Language::ru;  // of the word (Cyrillic: Russian)
};

// nullopt for text that is not a command (does not start with '!', after spaces).
std::optional<Command> parse_command(std::string_view body);

// fold_word (lower case for ASCII and Cyrillic) lives in homeserver/core/case_fold.hpp.
// Splits on spaces and tabs.
std::vector<std::string> split_words(std::string_view text);
std::string trim(std::string_view text);

}  // namespace domovoy::housing
