#include "housing/bots/command.hpp"

namespace domovoy::housing {

std::string trim(std::string_view text) {
  // Spaces, tabs, line ends and no-break spaces (U+00A0, as some keyboards and clients send), in
  // any mix.
  auto strip = [&text]() {
    if (text.empty()) return false;
    char first = text.front(), last = text.back();
    if (first == ' ' || first == '\t' || first == '\r' || first == '\n') return text.remove_prefix(1), true;
    if (last == ' ' || last == '\t' || last == '\r' || last == '\n') return text.remove_suffix(1), true;
    if (text.size() >= 2 && text.substr(0, 2) == "\xC2\xA0") return text.remove_prefix(2), true;
    if (text.size() >= 2 && text.substr(text.size() - 2) == "\xC2\xA0") return text.remove_suffix(2), true;
    return false;
  };
  while (strip()) {
  }
  return std::string(text);
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

std::optional<Command> parse_command(std::string_view body) {
  auto text = trim(body);
  if (text.empty() || text.front() != '!') return std::nullopt;
  Command command;
  auto first_end = text.find('\n');
  std::string first = text.substr(1, first_end == std::string::npos ? std::string::npos : first_end - 1);
  auto space = first.find_first_of(" \t");
  auto word = first.substr(0, space);
  if (word.empty()) return std::nullopt;
  command.word = fold_word(word);
  command.args = space == std::string::npos ? std::string() : trim(first.substr(space));
  command.language = language_of(word, Language::ru);
  if (first_end != std::string::npos) {
    std::string_view rest(text);
    rest.remove_prefix(first_end + 1);
    while (!rest.empty()) {
      auto end = rest.find('\n');
      auto line = trim(rest.substr(0, end));
      if (!line.empty()) command.lines.push_back(std::move(line));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return command;
}

}  // namespace domovoy::housing
