// POST /createRoom (create_room.yaml): the body parsed into a RoomCreation for the room service,
// which makes the room, its alias and its directory entry in one write. POST /rooms/{id}/upgrade
// (room_upgrades.yaml): a replacement room made by the same service.
#include <spdlog/spdlog.h>

#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

RoomCreation parse_creation(ClientServices& services, const json::object& body, const std::string& creator) {
  RoomCreation creation;
  creation.creator = creator;
  auto version_id = optional_string(body, "room_version").value_or(services.config.default_room_version);
  creation.version = find_room_version(version_id);
  if (!creation.version)
    throw ApiError(400, "M_UNSUPPORTED_ROOM_VERSION", "Room version " + version_id + " is not supported");

  creation.visibility = optional_string(body, "visibility").value_or("private");
  if (creation.visibility != "public" && creation.visibility != "private")
    throw invalid_param("visibility must be public or private");
  creation.preset = optional_string(body, "preset").value_or("");
  if (!creation.preset.empty() && creation.preset != "public_chat" && creation.preset != "private_chat" &&
      creation.preset != "trusted_private_chat")
    throw invalid_param("Unknown preset " + creation.preset);
  creation.is_direct = optional_bool(body, "is_direct").value_or(false);

  if (const auto* invite = body.if_contains("invite")) {
    if (!invite->is_array()) throw bad_json("'invite' must be an array");
    for (const auto& user : invite->as_array()) {
      if (!user.is_string() || !is_valid_user_id(user.as_string())) throw invalid_param("Invalid user id in 'invite'");
      creation.invitees.emplace_back(user.as_string());
    }
  }
  if (const auto* third_party = body.if_contains("invite_3pid");
      third_party && third_party->is_array() && !third_party->as_array().empty())
    throw ApiError(400, "M_UNRECOGNIZED", "Third-party invites are not supported by this server");

  if (auto alias_name = optional_string(body, "room_alias_name")) {
    auto alias = "#" + *alias_name + ":" + services.config.server_name;
    if (alias_name->empty() || alias_name->find_first_of(":# \t\n") != std::string::npos || !is_valid_room_alias(alias))
      throw invalid_param("Invalid room_alias_name");
    creation.aliases.push_back(std::move(alias));
  }

  if (const auto* content = optional_object(body, "creation_content")) creation.creation_content = *content;
  if (const auto* override_content = optional_object(body, "power_level_content_override"))
    creation.power_level_content_override = *override_content;

  if (const auto* initial = body.if_contains("initial_state")) {
    if (!initial->is_array()) throw bad_json("'initial_state' must be an array");
    for (const auto& entry : initial->as_array()) {
      if (!entry.is_object()) throw bad_json("initial_state entries must be objects");
      const auto& object = entry.as_object();
      auto type = required_string(object, "type");
      auto state_key = optional_string(object, "state_key").value_or("");
      const auto* content = optional_object(object, "content");
      if (!content) throw missing_param("initial_state entry without content");
      if (type == "m.room.create" || type == "m.room.member" || type == "m.room.power_levels")
        throw invalid_param("initial_state cannot set " + type);
      creation.initial_state.push_back({type, state_key, *content});
    }
  }
  creation.name = optional_string(body, "name");
  creation.topic = optional_string(body, "topic");
  return creation;
}

}  // namespace

void register_room_creation_routes(http::Router& router, ClientServices& services) {
  router.add_client_async(verb::post, "/createRoom", http::Auth::required,
                          [&services](http::Request& request) -> boost::asio::awaitable<http::Response> {
    RoomCreation creation;
    auto create = [&] {
      creation = parse_creation(services, request.json_body(), request.user_id);
      for (const auto& alias : creation.aliases) require_alias_not_exclusive(services, request, alias);
      return services.room_service.create_room(creation).room_id;
    };
    auto room_id = co_await http::run_blocking(services.blocking_pool, create);
    // Invitees of other servers learn of their invite only through their server (invite v2);
    // one that fails leaves the room made, as a later /invite would.
    for (const auto& invitee : creation.invitees) {
      if (server_name_of(invitee) == services.config.server_name || !services.federation_invite) continue;
      json::object content;
      if (creation.is_direct) content["is_direct"] = true;
      try {
        auto inviting = services.federation_invite(room_id, request.user_id, invitee, std::move(content));
        co_await std::move(inviting);
      } catch (const ApiError& error) {
        spdlog::warn("createRoom: {} was not invited to {}: {}", invitee, room_id, error.what());
      }
    }
    json::object response{{"room_id", room_id}};
    if (!creation.aliases.empty()) response["room_alias"] = creation.aliases.front();
    co_return http::Response::json(std::move(response));
  });

  router.add_client(verb::post, "/rooms/{roomId}/upgrade", http::Auth::required, [&services](http::Request& request) {
    const auto& body = request.json_body();
    auto version_id = required_string(body, "new_version");
    const auto* version = find_room_version(version_id);
    if (!version)
      throw ApiError(400, "M_UNSUPPORTED_ROOM_VERSION", "Room version " + version_id + " is not supported");
    std::vector<std::string> additional_creators;
    if (const auto* creators = body.if_contains("additional_creators")) {
      if (!creators->is_array()) throw bad_json("'additional_creators' must be an array");
      for (const auto& creator : creators->as_array()) {
        if (!creator.is_string()) throw bad_json("'additional_creators' must hold user ids");
        additional_creators.emplace_back(creator.as_string());
      }
    }
    auto replacement = services.room_service.upgrade_room(request.path_params[0], request.user_id, *version,
                                                          additional_creators);
    return http::Response::json(json::object{{"replacement_room", replacement}});
  });
}

}  // namespace domovoy
