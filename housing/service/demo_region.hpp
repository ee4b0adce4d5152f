#pragma once
// The embedded default's demo region (`domovoy` with no configuration): the sample registry
// imported like any other file, an admin account, and fresh verification codes written where the
// start-up message says, so that a newcomer can register in Element, redeem a code and see the
// building's space within a minute. A real deployment runs with a configuration and no demo.
#include <string>

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/core/config.hpp"
#include "housing/api/housing_routes.hpp"

namespace domovoy::housing {

struct DemoFiles {
  std::string codes_csv;       // building_id,apartment,role,code,expires_at
  std::string admin_password;  // the file holding the demo admin's password
};

// Imports the demo registry (idempotent), makes @admin:<server> (password in a private file)
// and writes owner and tenant codes for the first apartments of each building.
DemoFiles start_demo_region(const Config& config, HousingServices& housing, AccountStore& accounts,
                            const std::function<std::string(const std::string&)>& hash_password);

// The CSV `domovoy admin issue-codes` prints: the header, then one row per code.
std::string codes_csv(const std::vector<IssuedCode>& codes);

}  // namespace domovoy::housing
