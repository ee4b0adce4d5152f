// OpenID (openid.yaml; server-server-api "OpenID"): POST /user/{userId}/openid/request_token gives
// the user a token for a widget or integration, which then asks GET
// /_matrix/federation/v1/openid/userinfo whose token it is. Both halves are here: the second is
// a federation path but needs no server signature, only the token.
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"

namespace domovoy {

using boost::beast::http::verb;

void register_openid_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::post, "/user/{userId}/openid/request_token", http::Auth::required,
                    [&services](http::Request& request) {
                      request.optional_json_body();  // {} by the spec; anything else that is JSON is ignored
                      if (request.path_params[0] != request.user_id)
                        throw forbidden("You may only request tokens for yourself");
                      auto token = services.openid_tokens.issue(request.user_id, now_ms());
                      return http::Response::json(json::object{{"access_token", token},
                                                               {"token_type", "Bearer"},
                                                               {"matrix_server_name", services.config.server_name},
                                                               {"expires_in", OpenIdTokens::kLifetimeMs / 1000}});
                    });
  register_openid_userinfo_route(router, services);
}

void register_openid_userinfo_route(http::Router& router, ClientServices& services) {
  router.add(verb::get, "/_matrix/federation/v1/openid/userinfo", http::Auth::none, [&services](http::Request& request) {
    auto token = request.query_param("access_token");
    if (!token || token->empty()) throw ApiError(401, "M_MISSING_TOKEN", "Missing access_token");
    auto user = services.openid_tokens.user_of(*token, now_ms());
    if (!user) throw ApiError(401, "M_UNKNOWN_TOKEN", "Unknown or expired OpenID token");
    return http::Response::json(json::object{{"sub", *user}});
  });
}

}  // namespace domovoy
