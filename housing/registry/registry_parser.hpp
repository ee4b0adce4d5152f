#pragma once
// Reads and validates a registry file (docs/housing.md, "Registry file format"). Every error is
// an ApiError with status 400 whose message starts with the JSON path of the value at fault
// ("$" for the document), for example "buildings[3].apartments[17].owners: shares sum to 5/6, not 1":
//   M_NOT_JSON       the text is not JSON (no path: there is no value to point at)
//   M_BAD_JSON       a key is missing or unknown, or a value has the wrong JSON type
//   M_INVALID_PARAM  a value of the right type breaks a rule of the format
// The first error found is reported.
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "homeserver/core/json.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

using CompanyIds = std::set<std::string, std::less<>>;

struct RegistryParseOptions {
  // Management companies the server already has, which buildings may name without the file
  // listing them again.
  CompanyIds known_management_companies;
};

Registry parse_registry(std::string_view text, const RegistryParseOptions& options = {});
Registry registry_from_json(const json::value& document, const RegistryParseOptions& options = {});

// One object of the file's "buildings" list, for importing a building on its own. `path`
// starts the error messages. Checks every rule of a building except those that span
// buildings (id, slug and account numbers unique): the caller checks those against what it
// has stored.
Building building_from_json(const json::value& value, const CompanyIds& management_companies,
                            const std::string& path = "building");

}  // namespace domovoy::housing
