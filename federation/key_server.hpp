#pragma once
// The first steps of federation: the server's published signing keys
// (GET /_matrix/key/v2/server), its version, and /.well-known/matrix/server.
#include "homeserver/core/config.hpp"
#include "homeserver/http/router.hpp"
#include "homeserver/events/server_identity.hpp"

namespace domovoy::federation {

// This server's keys as GET /_matrix/key/v2/server answers them, signed.
boost::json::object own_server_keys(const ServerIdentity& identity);

void register_key_server_routes(http::Router& router, const Config& config, const ServerIdentity& identity);

}  // namespace domovoy::federation
