#pragma once
// Client API endpoints that exist for appservices: POST /_matrix/client/v1/appservice/{id}/ping
// and GET /_matrix/client/v3/thirdparty/protocols (and /protocol/{protocol}).
#include "homeserver/appservice/appservice_queries.hpp"
#include "homeserver/client/services.hpp"
#include "homeserver/http/router.hpp"

namespace domovoy::appservice {

void register_appservice_routes(http::Router& router, ClientServices& services, http::HttpClient& client,
                                AppserviceQueries& queries);

}  // namespace domovoy::appservice
