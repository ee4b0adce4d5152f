#pragma once
// The grammars of the registry's own identifiers, for the parser and for the server's look-ups
// (an admin URL may carry a building GUID in upper case).
#include <optional>
#include <string>
#include <string_view>

namespace domovoy::housing {

// A FIAS/GAR GUID, 8-4-4-4-12 hex digits in any letter case -> lower case; nullopt otherwise.
std::optional<std::string> normalise_building_id(std::string_view id);
// Building slugs and management company ids: 1..40 of [a-z0-9-].
bool is_valid_slug(std::string_view slug);

}  // namespace domovoy::housing
