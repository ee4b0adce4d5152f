#pragma once
// Federation queries (server-server-api "Querying for information"): profiles and room aliases,
// answered for other servers and asked of them for this server's clients.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

#include "federation/federation_client.hpp"
#include "federation/request_authenticator.hpp"
#include "homeserver/client/services.hpp"

namespace domovoy::federation {

// GET /_matrix/federation/v1/query/profile and /query/directory, for this server's users and aliases.
void register_query_routes(http::Router& router, RequestAuthenticator& authenticator,
                           boost::asio::thread_pool& blocking_pool, ClientServices& services);

// Asks `destination` GET /_matrix/federation/v1/query/{type}?arguments: its JSON object, or an
// ApiError for the client: the other server's own Matrix error (404 M_NOT_FOUND, ...), 403
// M_FORBIDDEN for a server outside the federation, 502 M_UNKNOWN when it cannot be reached or
// answers nonsense.
// `method` ("GET" or "POST") `uri` of `destination`, with `body`: its JSON object, or an ApiError
// for the client as query_server gives.
boost::asio::awaitable<boost::json::object> call_server(FederationClient& client, std::string destination,
                                                        std::string method, std::string uri,
                                                        std::optional<boost::json::object> body);

boost::asio::awaitable<boost::json::object> query_server(FederationClient& client, std::string destination,
                                                         std::string type,
                                                         std::vector<std::pair<std::string, std::string>> arguments);

}  // namespace domovoy::federation
