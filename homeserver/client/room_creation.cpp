// POST /createRoom (create_room.yaml): presets, power levels, alias, initial state, invites.
#include <set>

#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

json::object default_power_levels(const std::string& creator, const RoomVersion& version, const std::string& preset,
                                  const std::vector<std::string>& invitees) {
  json::object users;
  if (!version.room_id_from_create) {
    users[creator] = 100;
    if (preset == "trusted_private_chat")
      for (const auto& invitee : invitees) users[invitee] = 100;
  }
  return {{"users", std::move(users)},
          {"users_default", 0},
          {"events",
           json::object{{"m.room.name", 50},
                        {"m.room.power_levels", 100},
                        {"m.room.history_visibility", 100},
                        {"m.room.canonical_alias", 50},
                        {"m.room.avatar", 50},
                        {"m.room.tombstone", 100},
                        {"m.room.server_acl", 100},
                        {"m.room.encryption", 100}}},
          {"events_default", 0},
          {"state_default", 50},
          {"ban", 50},
          {"kick", 50},
          {"redact", 50},
          {"invite", preset == "public_chat" ? 50 : 0},
          {"historical", 100}};
}

EventDraft state_draft(const std::string& sender, std::string type, std::string state_key, json::object content) {
  return EventDraft{std::move(type), std::move(state_key), sender, std::move(content), {}, {}};
}

}  // namespace

void register_room_creation_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::post, "/createRoom", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    const auto& creator = request.user_id;

    auto version_id = optional_string(body, "room_version").value_or(services.config.default_room_version);
    const auto* version = find_room_version(version_id);
    if (!version) throw ApiError(400, "M_UNSUPPORTED_ROOM_VERSION", "Room version " + version_id + " is not supported");

    auto visibility = optional_string(body, "visibility").value_or("private");
    if (visibility != "public" && visibility != "private") throw invalid_param("visibility must be public or private");
    auto preset = optional_string(body, "preset").value_or(visibility == "public" ? "public_chat" : "private_chat");
    if (preset != "public_chat" && preset != "private_chat" && preset != "trusted_private_chat")
      throw invalid_param("Unknown preset " + preset);
    bool is_direct = optional_bool(body, "is_direct").value_or(false);

    std::vector<std::string> invitees;
    if (const auto* invite = body.if_contains("invite")) {
      if (!invite->is_array()) throw bad_json("'invite' must be an array");
      for (const auto& user : invite->as_array()) {
        if (!user.is_string() || !is_valid_user_id(user.as_string())) throw invalid_param("Invalid user id in 'invite'");
        invitees.emplace_back(user.as_string());
      }
    }
    if (const auto* third_party = body.if_contains("invite_3pid");
        third_party && third_party->is_array() && !third_party->as_array().empty())
      throw ApiError(400, "M_UNRECOGNIZED", "Third-party invites are not supported by this server");

    std::optional<std::string> alias;
    if (auto alias_name = optional_string(body, "room_alias_name")) {
      alias = "#" + *alias_name + ":" + services.config.server_name;
      if (alias_name->empty() || alias_name->find_first_of(":# \t\n") != std::string::npos ||
          !is_valid_room_alias(*alias))
        throw invalid_param("Invalid room_alias_name");
      if (lookup_alias(services, *alias)) throw ApiError(400, "M_ROOM_IN_USE", "Room alias already taken");
    }

    json::object creation_content;
    if (const auto* content = optional_object(body, "creation_content")) creation_content = *content;
    creation_content.erase("room_version");
    if (version->room_id_from_create && preset == "trusted_private_chat" && !invitees.empty()) {
      json::array additional;
      if (const auto* existing = creation_content.if_contains("additional_creators"); existing && existing->is_array())
        additional = existing->as_array();
      for (const auto& invitee : invitees) additional.push_back(json::string(invitee));
      creation_content["additional_creators"] = std::move(additional);
    }

    auto power_levels = default_power_levels(creator, *version, preset, invitees);
    if (const auto* override_content = optional_object(body, "power_level_content_override"))
      for (const auto& member : *override_content) power_levels[member.key()] = member.value();

    std::vector<EventDraft> drafts;
    drafts.push_back(state_draft(creator, "m.room.member", creator, own_member_content(services, creator, "join", {})));
    drafts.push_back(state_draft(creator, "m.room.power_levels", "", power_levels));
    if (alias) drafts.push_back(state_draft(creator, "m.room.canonical_alias", "", json::object{{"alias", *alias}}));

    // Preset state, which initial_state may replace key by key.
    std::vector<EventDraft> preset_state;
    preset_state.push_back(state_draft(creator, "m.room.join_rules", "",
                                       json::object{{"join_rule", preset == "public_chat" ? "public" : "invite"}}));
    preset_state.push_back(state_draft(creator, "m.room.history_visibility", "",
                                       json::object{{"history_visibility", "shared"}}));
    if (preset != "public_chat")
      preset_state.push_back(state_draft(creator, "m.room.guest_access", "", json::object{{"guest_access", "can_join"}}));

    std::vector<EventDraft> initial_state;
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
        initial_state.push_back(state_draft(creator, type, state_key, *content));
      }
    }
    for (auto& draft : preset_state) {
      bool replaced = std::any_of(initial_state.begin(), initial_state.end(), [&](const EventDraft& other) {
        return other.type == draft.type && other.state_key == draft.state_key;
      });
      if (!replaced) drafts.push_back(std::move(draft));
    }
    for (auto& draft : initial_state) drafts.push_back(std::move(draft));
    if (auto name = optional_string(body, "name"))
      drafts.push_back(state_draft(creator, "m.room.name", "", json::object{{"name", *name}}));
    if (auto topic = optional_string(body, "topic")) {
      json::object text{{"body", *topic}, {"mimetype", "text/plain"}};
      json::object content{{"topic", *topic}, {"m.topic", json::object{{"m.text", json::array{std::move(text)}}}}};
      drafts.push_back(state_draft(creator, "m.room.topic", "", std::move(content)));
    }
    for (const auto& invitee : invitees) {
      json::object content{{"membership", "invite"}};
      if (is_direct) content["is_direct"] = true;
      if (auto account = services.accounts.find(invitee); account && !account->displayname.empty())
        content["displayname"] = account->displayname;
      drafts.push_back(state_draft(creator, "m.room.member", invitee, std::move(content)));
    }

    auto room_id = services.rooms.create_room(*version, creator, std::move(creation_content), drafts);
    if (alias && !store_alias(services, *alias, room_id, creator))
      throw ApiError(400, "M_ROOM_IN_USE", "Room alias was taken while the room was being created");
    if (visibility == "public") {
      storage::WriteBatch batch;
      batch.put(storage::Table::publicroom_flag, room_id, "");
      services.database.write(std::move(batch));
    }
    json::object response{{"room_id", room_id}};
    if (alias) response["room_alias"] = *alias;
    return http::Response::json(std::move(response));
  });
}

}  // namespace domovoy
