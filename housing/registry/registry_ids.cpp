#include "housing/registry/registry_ids.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace domovoy::housing {

std::optional<std::string> normalise_building_id(std::string_view id) {
  constexpr std::array<std::size_t, 4> kDashes{8, 13, 18, 23};
  if (id.size() != 36) return std::nullopt;
  std::string lower(id);
  for (std::size_t i = 0; i < lower.size(); ++i) {
    bool dash_here = std::find(kDashes.begin(), kDashes.end(), i) != kDashes.end();
    auto c = static_cast<unsigned char>(lower[i]);
    if (dash_here ? c != '-' : !std::isxdigit(c)) return std::nullopt;
    lower[i] = static_cast<char>(std::tolower(c));
  }
  return lower;
}

bool is_valid_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 40) return false;
  return std::all_of(slug.begin(), slug.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

}  // namespace domovoy::housing
