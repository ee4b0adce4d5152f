#pragma once
// The demo region's registry file (housing/samples/demo-region.json), built into the binary.
#include <string_view>

namespace domovoy::housing {

std::string_view demo_registry();

}  // namespace domovoy::housing
