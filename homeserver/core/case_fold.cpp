#include "homeserver/core/case_fold.hpp"

namespace domovoy {

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string fold_word(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    auto byte = static_cast<unsigned char>(word[i]);
    if (byte >= 'A' && byte <= 'Z') {
      out += static_cast<char>(byte - 'A' + 'a');
      continue;
    }
    if (i + 1 < word.size()) {
      auto next = static_cast<unsigned char>(word[i + 1]);
      // UTF-8 of Cyrillic: А-П D0 90..9F -> а-п D0 B0..BF; Р-Я D0 A0..AF -> р-я D1 80..8F;
      // Ё D0 81 and ё D1 91 -> е D0 B5.
      if (byte == 0xD0 && next >= 0x90 && next <= 0x9F) {
        out += '\xD0';
        out += static_cast<char>(next + 0x20);
        ++i;
        continue;
      }
      if (byte == 0xD0 && next >= 0xA0 && next <= 0xAF) {
        out += '\xD1';
        out += static_cast<char>(next - 0x20);
        ++i;
        continue;
      }
      if ((byte == 0xD0 && next == 0x81) || (byte == 0xD1 && next == 0x91)) {
        out += "\xD0\xB5";
        ++i;
        continue;
      }
    }
    out += static_cast<char>(byte);
  }
  return out;
}

}  // namespace domovoy
