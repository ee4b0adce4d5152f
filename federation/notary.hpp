#pragma once
// This server as a notary (server-server-api "Querying Keys Through Another Server"):
// GET /_matrix/key/v2/query/{serverName} and POST /_matrix/key/v2/query answer other servers'
// keys as those servers signed them, signed here too, so a server that cannot reach another
// may still verify what it signed. Unauthenticated, as the key API is; only servers this one
// federates with are ever fetched (the federation client refuses the rest), others answer empty.
#include "federation/key_fetcher.hpp"
#include "homeserver/http/router.hpp"

namespace domovoy::federation {

// The most servers one POST may ask about: each may cost a fetch from that server.
inline constexpr std::size_t kMaxNotaryServersPerQuery = 20;

void register_notary_routes(http::Router& router, KeyFetcher& key_fetcher);

}  // namespace domovoy::federation
