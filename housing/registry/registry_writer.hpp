#pragma once
// The registry model written back in the file format, for storing buildings and exporting a
// region: what these functions write, registry_parser.hpp reads back equal.
#include "homeserver/core/json.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

json::object registry_to_json(const Registry& registry);
// One object of the file's "buildings" list (building_from_json reads it).
json::object building_to_json(const Building& building);

}  // namespace domovoy::housing
