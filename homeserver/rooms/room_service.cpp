#include "homeserver/rooms/room_service.hpp"

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/rooms/room_directory.hpp"
#include "storage/database.hpp"

namespace domovoy {

namespace json = boost::json;

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

std::string effective_preset(const RoomCreation& creation) {
  if (!creation.preset.empty()) return creation.preset;
  return creation.visibility == "public" ? "public_chat" : "private_chat";
}

}  // namespace

bool RoomService::is_local(std::string_view user_id) const { return server_name_of(user_id) == server_name_; }

json::object RoomService::own_member_content(const std::string& user_id, const std::string& membership,
                                             std::optional<std::string> reason) const {
  json::object content{{"membership", membership}};
  if (membership == "join" || membership == "knock") {
    if (auto profile = profile_of_(user_id)) {
      if (!profile->displayname.empty()) content["displayname"] = profile->displayname;
      if (!profile->avatar_url.empty()) content["avatar_url"] = profile->avatar_url;
    }
  }
  if (reason) content["reason"] = *reason;
  return content;
}

std::vector<EventDraft> RoomService::creation_drafts(const RoomCreation& creation) const {
  const auto& creator = creation.creator;
  const auto& version = *creation.version;
  auto preset = effective_preset(creation);
  auto power_levels = default_power_levels(creator, version, preset, creation.invitees);
  if (creation.power_level_content_override)
    for (const auto& member : *creation.power_level_content_override) power_levels[member.key()] = member.value();

  std::vector<EventDraft> drafts;
  drafts.push_back(state_draft(creator, "m.room.member", creator, own_member_content(creator, "join", std::nullopt)));
  drafts.push_back(state_draft(creator, "m.room.power_levels", "", power_levels));
  if (!creation.aliases.empty())
    drafts.push_back(state_draft(creator, "m.room.canonical_alias", "", json::object{{"alias", creation.aliases.front()}}));

  // Preset state, which initial_state may replace key by key.
  std::vector<EventDraft> preset_state;
  preset_state.push_back(state_draft(creator, "m.room.join_rules", "",
                                     json::object{{"join_rule", preset == "public_chat" ? "public" : "invite"}}));
  preset_state.push_back(
      state_draft(creator, "m.room.history_visibility", "", json::object{{"history_visibility", "shared"}}));
  if (preset != "public_chat")
    preset_state.push_back(state_draft(creator, "m.room.guest_access", "", json::object{{"guest_access", "can_join"}}));
  for (auto& draft : preset_state) {
    bool replaced = std::any_of(creation.initial_state.begin(), creation.initial_state.end(),
                                [&](const RoomCreation::StateEntry& entry) {
                                  return entry.type == draft.type && entry.state_key == *draft.state_key;
                                });
    if (!replaced) drafts.push_back(std::move(draft));
  }
  for (const auto& entry : creation.initial_state)
    drafts.push_back(state_draft(creator, entry.type, entry.state_key, entry.content));
  if (creation.name) drafts.push_back(state_draft(creator, "m.room.name", "", json::object{{"name", *creation.name}}));
  if (creation.topic) {
    json::object text{{"body", *creation.topic}, {"mimetype", "text/plain"}};
    json::object content{{"topic", *creation.topic}, {"m.topic", json::object{{"m.text", json::array{std::move(text)}}}}};
    drafts.push_back(state_draft(creator, "m.room.topic", "", std::move(content)));
  }
  for (const auto& invitee : creation.invitees) {
    if (!is_local(invitee)) continue;  // through their server, by the caller
    json::object content{{"membership", "invite"}};
    if (creation.is_direct) content["is_direct"] = true;
    if (auto profile = profile_of_(invitee); profile && !profile->displayname.empty())
      content["displayname"] = profile->displayname;
    drafts.push_back(state_draft(creator, "m.room.member", invitee, std::move(content)));
  }
  return drafts;
}

std::optional<std::string> RoomService::keyed_room(const std::string& idempotency_key) const {
  return database_.get(storage::Table::creationkey_roomid, idempotency_key);
}

CreatedRoom RoomService::create_room(const RoomCreation& creation) {
  if (!creation.version) throw ApiError(400, "M_UNSUPPORTED_ROOM_VERSION", "No room version given");
  std::unique_lock<std::mutex> keyed_lock;
  if (!creation.idempotency_key.empty()) {
    keyed_lock = std::unique_lock(keyed_creation_mutex_);
    if (auto existing = database_.get(storage::Table::creationkey_roomid, creation.idempotency_key))
      return {*existing, false};
  }
  json::object creation_content = creation.creation_content;
  creation_content.erase("room_version");
  auto preset = effective_preset(creation);
  if (creation.version->room_id_from_create && preset == "trusted_private_chat" && !creation.invitees.empty()) {
    json::array additional;
    if (const auto* existing = creation_content.if_contains("additional_creators"); existing && existing->is_array())
      additional = existing->as_array();
    for (const auto& invitee : creation.invitees) additional.push_back(json::string(invitee));
    creation_content["additional_creators"] = std::move(additional);
  }
  auto drafts = creation_drafts(creation);

  // The aliases are checked and written under the directory's lock, in the room's own write.
  auto alias_lock = directory_.lock_aliases();
  for (const auto& alias : creation.aliases)
    if (directory_.lookup(alias)) throw ApiError(400, "M_ROOM_IN_USE", "Room alias " + alias + " is already taken");
  // The room id is only known inside create_room, so the rows naming it are added there.
  std::string room_id = engine_.create_room(*creation.version, creation.creator, std::move(creation_content), drafts,
                                            [&](storage::WriteBatch& batch, const std::string& new_room_id) {
                                              for (const auto& alias : creation.aliases)
                                                RoomDirectory::stage_alias(batch, alias, new_room_id, creation.creator);
                                              if (creation.visibility == "public")
                                                RoomDirectory::stage_listed(batch, new_room_id);
                                              if (!creation.idempotency_key.empty())
                                                batch.put(storage::Table::creationkey_roomid, creation.idempotency_key,
                                                          new_room_id);
                                            });
  return {room_id, true};
}

json::object RoomService::checked_membership(const std::string& room_id, const std::string& sender,
                                             const std::string& target, json::object content) {
  const auto* value = content.if_contains("membership");
  if (!value || !value->is_string()) throw bad_json("m.room.member needs a membership");
  std::string membership(value->as_string());
  if (membership != "join" && membership != "invite" && membership != "leave" && membership != "ban" &&
      membership != "knock")
    throw invalid_param("Unknown membership " + membership);
  if (!is_valid_user_id(target)) throw invalid_param("Invalid user id " + target);
  auto current = engine_.current_membership(room_id, target);
  if ((membership == "join" || membership == "knock") && target != sender)
    throw forbidden("Cannot " + membership + " on behalf of another user");
  if (membership == "invite") {
    auto profile = is_local(target) ? profile_of_(target) : std::nullopt;
    if (is_local(target) && !profile) throw not_found("Unknown user " + target);
    if (!content.contains("displayname") && profile && !profile->displayname.empty())
      content["displayname"] = profile->displayname;
  }
  // A kick is of someone in the room; a leave for a banned user is an unban (the auth rules
  // check the ban level for it).
  if (membership == "leave" && target != sender && current != "join" && current != "invite" && current != "knock" &&
      current != "ban")
    throw forbidden(target + " is not in the room");
  if (gate_) gate_(room_id, sender, target, membership);
  return content;
}

EventPtr RoomService::change_membership(const std::string& room_id, const std::string& sender, const std::string& target,
                                        json::object content) {
  const auto* value = content.if_contains("membership");
  if (value && value->is_string() && value->as_string() == "leave" && target == sender &&
      engine_.current_membership(room_id, target) == "leave") {
    // Leaving a room one is not in changes nothing (Synapse answers the same way).
    if (auto record = engine_.membership_record(room_id, target))
      if (auto existing = engine_.get_event(record->event_id)) return existing;
    throw forbidden("You are not a member of this room");
  }
  content = checked_membership(room_id, sender, target, std::move(content));
  return engine_.send(room_id, EventDraft{"m.room.member", target, sender, std::move(content), {}, {}});
}

std::shared_ptr<Event> RoomService::prepare_remote_invite(const std::string& room_id, const std::string& sender,
                                                          const std::string& target, json::object content) {
  content["membership"] = "invite";
  content = checked_membership(room_id, sender, target, std::move(content));
  return engine_.build_signed_event(room_id, EventDraft{"m.room.member", target, sender, std::move(content), {}, {}});
}

}  // namespace domovoy
