#pragma once
// The two lookups server discovery needs from the network: the well-known fetch (HTTPS,
// redirects followed) and the SRV query (the system's resolver through libresolv).
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "federation/server_discovery.hpp"
#include "homeserver/http/client.hpp"

namespace domovoy::federation {

// GET https://<hostname>/.well-known/matrix/server, following up to five redirects. An error
// status, a failed connection or an invalid body is a result without delegation, cached for an
// hour.
boost::asio::awaitable<WellKnownResult> fetch_well_known(http::HttpClient& client, std::string hostname);

// The SRV record `record` (e.g. "_matrix-fed._tcp.example.org"): the target of the lowest
// priority, highest weight; nullopt when there is none, the lookup fails, the target is "."
// (RFC 2782: no such service) or the name is under .localhost (RFC 6761: never asked of DNS).
// Blocks: run it off the network threads.
std::optional<SrvTarget> lookup_srv(const std::string& record);

}  // namespace domovoy::federation
