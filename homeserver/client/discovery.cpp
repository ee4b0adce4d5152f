// Server discovery and what the server supports: /versions, .well-known, /capabilities, and
// the start-up calls that have a defined empty answer when nothing is configured.
#include <set>

#include "homeserver/client/routes.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/room_version.hpp"

namespace domovoy {

using boost::beast::http::verb;

bool ClientServices::is_local_user(std::string_view user_id) const {
  return server_name_of(user_id) == config.server_name;
}

std::vector<std::string> ClientServices::room_mates(const std::string& user_id) const {
  std::set<std::string> mates{user_id};
  for (const auto& record : rooms.rooms_of_user(user_id))
    if (record.membership == "join")
      for (auto& member : rooms.joined_members(record.room_id)) mates.insert(std::move(member));
  return {mates.begin(), mates.end()};
}

void ClientServices::set_presence(const std::string& user_id, const std::string& state,
                                  std::optional<std::string> status_msg) {
  auto message = status_msg;
  if (!presence.set(user_id, state, std::move(status_msg))) return;
  auto mates = room_mates(user_id);
  notifier.wake(mates);
  if (presence_out) {
    json::object content{{"presence", state}, {"user_id", user_id}};
    if (message) content["status_msg"] = *message;
    presence_out(json::object{{"type", "m.presence"}, {"sender", user_id}, {"content", std::move(content)}}, mates);
  }
}

void register_discovery_routes(http::Router& router, ClientServices& services) {
  router.add(verb::get, "/_matrix/client/versions", http::Auth::none, [](http::Request&) {
    json::array versions;
    for (auto version : {"r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
                         "v1.11", "v1.12"})
      versions.push_back(version);
    return http::Response::json(json::object{{"versions", std::move(versions)}, {"unstable_features", json::object{}}});
  });
  router.add(verb::get, "/.well-known/matrix/client", http::Auth::none, [&services](http::Request&) {
    return http::Response::json(json::object{{"m.homeserver", json::object{{"base_url", services.config.base_url()}}}});
  });
  router.add_client(verb::get, "/capabilities", http::Auth::required, [&services](http::Request&) {
    json::object available;
    for (auto* version = supported_room_versions_begin(); version != supported_room_versions_end(); ++version)
      available[version->id] = "stable";
    json::object capabilities{
        {"m.change_password", json::object{{"enabled", true}}},
        {"m.room_versions", json::object{{"default", services.config.default_room_version},
                                         {"available", std::move(available)}}},
        {"m.set_displayname", json::object{{"enabled", true}}},
        {"m.set_avatar_url", json::object{{"enabled", true}}},
        {"m.3pid_changes", json::object{{"enabled", false}}},
        {"m.get_login_token", json::object{{"enabled", false}}},
        {"m.profile_fields", json::object{{"enabled", false}}},
    };
    return http::Response::json(json::object{{"capabilities", std::move(capabilities)}});
  });
  router.add_client(verb::get, "/voip/turnServer", http::Auth::required,
                    [](http::Request&) { return http::Response::json(json::object{}); });
}

}  // namespace domovoy
