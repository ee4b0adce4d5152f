#include "housing/process/appservice_endpoints.hpp"

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {
// Requests from the homeserver carry hs_token; the token resolver gives them this user.
constexpr const char* kHomeserverCaller = "homeserver";

void require_homeserver(const http::Request& request) {
  if (request.user_id != kHomeserverCaller) throw forbidden("Only the homeserver calls this API");
}
}  // namespace

void register_appservice_endpoints(http::Router& router, AppserviceEndpoints endpoints) {
  auto shared = std::make_shared<AppserviceEndpoints>(std::move(endpoints));
  router.add(verb::put, "/_matrix/app/v1/transactions/{txnId}", http::Auth::required, [shared](http::Request& request) {
    require_homeserver(request);
    auto body = request.json_body();
    const auto* events = body.if_contains("events");
    if (!events || !events->is_array()) throw bad_json("events must be a list");
    shared->dispatcher.handle_transaction(request.path_params[0], events->as_array());
    return http::Response::json(json::object{});
  });
  router.add(verb::get, "/_matrix/app/v1/users/{userId}", http::Auth::required, [shared](http::Request& request) {
    require_homeserver(request);
    // The bots are registered at start; a query for one of them is answered yes, any other no.
    if (!shared->bot_users.count(request.path_params[0]))
      throw ApiError(404, "M_NOT_FOUND", "No such user in the housing appservice");
    return http::Response::json(json::object{});
  });
  router.add(verb::get, "/_matrix/app/v1/rooms/{roomAlias}", http::Auth::required, [](http::Request& request) {
    require_homeserver(request);
    throw ApiError(404, "M_NOT_FOUND", "The housing appservice makes no rooms on request");
    return http::Response::json(json::object{});
  });
  router.add(verb::post, "/_matrix/app/v1/ping", http::Auth::required, [](http::Request& request) {
    require_homeserver(request);
    return http::Response::json(json::object{});
  });
}

}  // namespace domovoy::housing
