#pragma once
// The server part of the operators' API (/_domovoy/admin/v1): admins, the test clock.
#include "homeserver/client/services.hpp"
#include "homeserver/http/router.hpp"

namespace domovoy {

void register_server_admin_routes(http::Router& router, ClientServices& services);
// Whether the user is a server admin (the account's flag or the config's `admins`).
bool is_server_admin(const ClientServices& services, const std::string& user_id);

}  // namespace domovoy
