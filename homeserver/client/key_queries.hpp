#pragma once
// The local half of keys/query and keys/claim, shared by the client API (which adds what other
// servers answer) and the federation API (which answers other servers with it).
#include <boost/json/object.hpp>

#include <string>

#include "homeserver/client/services.hpp"

namespace domovoy {

// {device_keys, master_keys, self_signing_keys, user_signing_keys} of the local users in
// `wanted` (user id -> array of device ids, empty for all); others are skipped. Signatures on
// cross-signing keys are those of the owner and of `observer` (a user id, or a server's name,
// which signs none). Blocks.
boost::json::object query_local_keys(ClientServices& services, const boost::json::object& wanted,
                                     const std::string& observer);

// {one_time_keys} claimed for the local users in `wanted` (user id -> {device id: algorithm}).
// Blocks.
boost::json::object claim_local_keys(ClientServices& services, const boost::json::object& wanted);

}  // namespace domovoy
