#pragma once
// `domovoy housing --write-registration FILE --url URL`: the appservice registration of the
// housing bots, for the homeserver's `appservices:` list. Its users namespace claims exactly the
// five bots (exclusive, so nobody registers @billing and answers residents in its name).
#include <string>

#include "housing/process/process_config.hpp"

namespace domovoy::housing {

// The registration's id: the homeserver's `housing.appservice_id` grants it registry access.
inline constexpr const char* kHousingAppserviceId = "domovoy-housing";

// Writes (mode 0600) the registration to `path`. A file already there keeps its tokens, so
// writing it again (a new URL) does not lock out a homeserver that loaded the old one. Throws
// ProcessConfigError when an existing file is not a registration.
void write_registration(const std::string& path, const std::string& url, const ProcessConfig& config);

// The YAML text, for the given tokens.
std::string registration_yaml(const std::string& url, const std::string& as_token, const std::string& hs_token,
                              const ProcessConfig& config);

}  // namespace domovoy::housing
