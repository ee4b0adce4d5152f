#include "federation/queries.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "homeserver/client/hierarchy.hpp"
#include "homeserver/client/public_rooms.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy::federation {

namespace json = boost::json;
using boost::beast::http::verb;

void register_query_routes(http::Router& router, RequestAuthenticator& authenticator,
                           boost::asio::thread_pool& blocking_pool, ClientServices& services) {
  add_federation_route(router, authenticator, blocking_pool, verb::get, "/_matrix/federation/v1/hierarchy/{roomId}",
                       [&services](http::Request& request) {
                         auto suggested = request.query_param("suggested_only").value_or("false");
                         if (suggested != "true" && suggested != "false")
                           throw invalid_param("suggested_only must be true or false");
                         return http::Response::json(federation_hierarchy(services, request.path_params.at(0),
                                                                          request.origin, suggested == "true"));
                       });
  // The published directory, as local clients see it (server-server-api "Public Room Directory").
  add_federation_route(router, authenticator, blocking_pool, verb::get, "/_matrix/federation/v1/publicRooms",
                       [&services](http::Request& request) {
                         auto query = public_rooms_query_of_params(request.query_param("limit"),
                                                                   request.query_param("since"));
                         return http::Response::json(list_public_rooms(services, query));
                       });
  add_federation_route(router, authenticator, blocking_pool, verb::post, "/_matrix/federation/v1/publicRooms",
                       [&services](http::Request& request) {
                         auto query = public_rooms_query_of_body(request.json_body());
                         return http::Response::json(list_public_rooms(services, query));
                       });
  add_federation_route(router, authenticator, blocking_pool, verb::get, "/_matrix/federation/v1/query/profile",
                       [&services](http::Request& request) {
                         auto user_id = request.query_param("user_id");
                         if (!user_id) throw missing_param("Missing user_id");
                         if (!is_valid_user_id(*user_id)) throw invalid_param("Invalid user_id");
                         auto field = request.query_param("field");
                         if (field && *field != "displayname" && *field != "avatar_url")
                           throw invalid_param("field must be displayname or avatar_url");
                         if (server_name_of(*user_id) != services.config.server_name)
                           throw invalid_param("The user is not on this server");
                         auto account = services.accounts.find(*user_id);
                         if (!account || account->deactivated) throw not_found("Profile not found");
                         json::object profile;
                         if ((!field || *field == "displayname") && !account->displayname.empty())
                           profile["displayname"] = account->displayname;
                         if ((!field || *field == "avatar_url") && !account->avatar_url.empty())
                           profile["avatar_url"] = account->avatar_url;
                         return http::Response::json(std::move(profile));
                       });
  add_federation_route(router, authenticator, blocking_pool, verb::get, "/_matrix/federation/v1/query/directory",
                       [&services](http::Request& request) {
                         auto alias = request.query_param("room_alias");
                         if (!alias) throw missing_param("Missing room_alias");
                         if (!is_valid_room_alias(*alias)) throw invalid_param("Invalid room_alias");
                         if (server_name_of(*alias) != services.config.server_name)
                           throw not_found("Room alias " + *alias + " is not on this server");
                         auto record = services.directory.lookup(*alias);
                         if (!record) throw not_found("Room alias " + *alias + " not found");
                         return http::Response::json(json::object{
                             {"room_id", record->room_id},
                             {"servers", json::array{json::string(services.config.server_name)}}});
                       });
}

boost::asio::awaitable<json::object> call_server(FederationClient& client, std::string destination, std::string method,
                                                 std::string uri, std::optional<json::object> body) {
  FederationRequest request;
  request.destination = destination;
  request.method = method == "POST" ? verb::post : verb::get;
  request.uri = std::move(uri);
  if (body) request.body = std::move(*body);
  request.timeout = std::chrono::milliseconds(15000);
  auto response = co_await client.request(request);
  auto what = request.uri.substr(0, request.uri.find('?'));
  using Failure = FederationResponse::Failure;
  if (response.failure == Failure::not_allowed) throw forbidden(response.message);
  if (response.failure == Failure::bad_server_name) throw invalid_param(response.message);
  if (!response.ok()) throw ApiError(502, "M_UNKNOWN", "Cannot reach " + destination);
  if (!response.body.is_object())
    throw ApiError(502, "M_UNKNOWN", destination + " answered " + what + " with no JSON object");
  if (response.success()) co_return response.body.as_object();
  auto errcode = response.errcode();
  if (response.status == 404) throw not_found(what + " not found on " + destination);
  if (!errcode.empty() && response.status >= 400 && response.status < 500)
    throw ApiError(response.status, errcode, destination + " refused " + what);
  throw ApiError(502, "M_UNKNOWN", destination + " answered " + what + " with " + std::to_string(response.status));
}

boost::asio::awaitable<json::object> query_server(FederationClient& client, std::string destination, std::string type,
                                                  std::vector<std::pair<std::string, std::string>> arguments) {
  std::string uri = "/_matrix/federation/v1/query/" + type;
  char separator = '?';
  for (const auto& [name, value] : arguments) {
    uri += separator + name + "=" + boost::urls::encode(value, boost::urls::unreserved_chars);
    separator = '&';
  }
  auto calling = call_server(client, std::move(destination), "GET", std::move(uri), std::nullopt);
  co_return co_await std::move(calling);
}

}  // namespace domovoy::federation
