#pragma once
// The Application Service API as the housing process serves it to the homeserver
// (spec: application-service-api, "Pushing events", "Querying", "Pinging"): transactions, user
// and room-alias queries, and ping, each authenticated by the registration's hs_token. Also the
// process's own publishing API (`/_domovoy/housing/v1/...`), authenticated by its as_token,
// which the operator and `domovoy housing publish` use.
#include <functional>
#include <set>
#include <string>

#include "homeserver/http/router.hpp"
#include "housing/bots/bot_dispatcher.hpp"

namespace domovoy::housing {

struct AppserviceEndpoints {
  BotDispatcher& dispatcher;
  std::set<std::string> bot_users;  // answered 200 by the user query
};

void register_appservice_endpoints(http::Router& router, AppserviceEndpoints endpoints);

}  // namespace domovoy::housing
