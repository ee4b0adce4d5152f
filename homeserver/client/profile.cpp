// Profiles (client-server-api: "Profiles"): a change is also sent as a new m.room.member event
// into every room the user has joined, so other members see it. Presence status is kept in
// memory (sync/presence.hpp) and sent to room-mates through /sync.
#include <mutex>
#include <unordered_map>

#include "homeserver/client/routes.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::size_t kMaxDisplayname = 256;
constexpr std::size_t kMaxAvatarUrl = 1000;

Account existing_account(ClientServices& services, const std::string& user_id) {
  if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user id");
  auto account = services.accounts.find(user_id);
  // An unknown user of an appservice's namespace: the appservice may register them now.
  if (!account && services.query_appservice_user && services.query_appservice_user(user_id))
    account = services.accounts.find(user_id);
  if (!account || account->deactivated) throw not_found("Profile not found");
  return *account;
}

void propagate_profile(ClientServices& services, const Account& account) {
  for (const auto& record : services.rooms.rooms_of_user(account.user_id)) {
    if (record.membership != "join") continue;
    auto state = services.rooms.current_state(record.room_id);
    auto member = services.rooms.state_event(state, "m.room.member", account.user_id);
    json::object content = member ? member->content() : json::object{};
    content["membership"] = "join";
    if (account.displayname.empty()) content.erase("displayname");
    else content["displayname"] = account.displayname;
    if (account.avatar_url.empty()) content.erase("avatar_url");
    else content["avatar_url"] = account.avatar_url;
    try {
      services.rooms.send(record.room_id, EventDraft{"m.room.member", account.user_id, account.user_id, content, {}, {}});
    } catch (const ApiError&) {
      // A room that refuses the update (e.g. power levels) keeps the old profile.
    }
  }
}

// The profile (or one field of it, when `field` is set) of a local user, or of a remote one as
// their server answers the federation profile query.
boost::asio::awaitable<http::Response> profile_of(ClientServices& services, http::Request& request,
                                                  std::string field) {
  const auto& user_id = request.path_params[0];
  if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user id");
  std::string server(server_name_of(user_id));
  json::object profile;
  if (server != services.config.server_name) {
    if (!services.federation_query) throw not_found("Profile not found");
    std::vector<std::pair<std::string, std::string>> arguments{{"user_id", user_id}};
    if (!field.empty()) arguments.emplace_back("field", field);
    // Built before the co_await: g++ 12 destroys temporaries in it twice (GCC bug 101367).
    auto query = services.federation_query(server, "profile", std::move(arguments));
    auto answer = co_await std::move(query);
    for (const char* name : {"displayname", "avatar_url"})
      if (const auto* value = answer.if_contains(name); value && value->is_string() && (field.empty() || field == name))
        profile[name] = *value;
  } else {
    auto local = [&] {
      auto account = existing_account(services, user_id);
      json::object found;
      if (!account.displayname.empty()) found["displayname"] = account.displayname;
      if (!account.avatar_url.empty()) found["avatar_url"] = account.avatar_url;
      return found;
    };
    profile = co_await http::run_blocking(services.blocking_pool, local);
  }
  if (!field.empty() && !profile.contains(field)) throw not_found("Profile field not set");
  co_return http::Response::json(std::move(profile));
}

}  // namespace

void register_profile_routes(http::Router& router, ClientServices& services) {
  router.add_client_async(verb::get, "/profile/{userId}", http::Auth::optional,
                          [&services](http::Request& request) { return profile_of(services, request, ""); });
  for (std::string field : {"displayname", "avatar_url"}) {
    router.add_client_async(verb::get, "/profile/{userId}/" + field, http::Auth::optional,
                            [&services, field](http::Request& request) { return profile_of(services, request, field); });
    router.add_client(verb::put, "/profile/{userId}/" + field, http::Auth::required,
                      [&services, field](http::Request& request) {
                        if (request.path_params[0] != request.user_id)
                          throw forbidden("Cannot set another user's profile");
                        auto body = request.json_body();
                        if (!body.contains(field)) throw missing_param("Missing '" + field + "'");
                        auto value = optional_string(body, field).value_or("");
                        if (value.size() > (field == "displayname" ? kMaxDisplayname : kMaxAvatarUrl))
                          throw invalid_param(field + " is too long");
                        if (field == "avatar_url" && !value.empty() && value.rfind("mxc://", 0) != 0)
                          throw invalid_param("avatar_url must be an mxc:// URI");
                        existing_account(services, request.user_id);
                        auto account = services.accounts.update(request.user_id, [&](Account& changed) {
                          (field == "displayname" ? changed.displayname : changed.avatar_url) = value;
                        });
                        if (account) propagate_profile(services, *account);
                        return http::Response::json(json::object{});
                      });
  }

  router.add_client(verb::get, "/presence/{userId}/status", http::Auth::required, [&services](http::Request& request) {
    // A user of another server: what its server last told of them (m.presence), when known.
    auto state = services.presence.get(request.path_params[0]);
    if (!state || services.is_local_user(request.path_params[0])) existing_account(services, request.path_params[0]);
    json::object out{{"presence", state ? state->presence : "offline"}};
    if (state) {
      if (state->last_active_ts) out["last_active_ago"] = std::max<std::int64_t>(0, now_ms() - state->last_active_ts);
      out["currently_active"] = state->presence == "online";
      if (!state->status_msg.empty()) out["status_msg"] = state->status_msg;
    }
    return http::Response::json(std::move(out));
  });
  router.add_client(verb::put, "/presence/{userId}/status", http::Auth::required, [&services](http::Request& request) {
    if (request.path_params[0] != request.user_id) throw forbidden("Cannot set another user's presence");
    auto body = request.json_body();
    auto state = required_string(body, "presence");
    if (state != "online" && state != "offline" && state != "unavailable")
      throw invalid_param("presence must be online, offline or unavailable");
    services.set_presence(request.user_id, state, optional_string(body, "status_msg").value_or(""));
    return http::Response::json(json::object{});
  });
}

}  // namespace domovoy
