#include "homeserver/rooms/auth_rules.hpp"

#include <algorithm>
#include <set>

#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/rooms/power_levels.hpp"

namespace domovoy {

namespace {

std::string membership_of(const StateLookup& state, std::string_view user_id) {
  auto member = state("m.room.member", user_id);
  if (!member) return "leave";
  auto membership = member->membership();
  return membership.empty() ? "leave" : membership;
}

std::string join_rule_of(const StateLookup& state) {
  auto rules = state("m.room.join_rules", "");
  if (!rules) return "invite";
  const auto* rule = rules->content().if_contains("join_rule");
  return rule && rule->is_string() ? std::string(rule->as_string()) : "invite";
}

// An integer the power arithmetic can hold (uint64 beyond int64 would wrap around).
bool is_integer_value(const json::value& value) {
  return value.is_int64() || (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX));
}

AuthResult check_create(const Event& event, const RoomVersion& version) {
  const auto* prev = event.pdu.if_contains("prev_events");
  if (prev && (!prev->is_array() || !prev->as_array().empty())) return AuthResult::reject("create event has prev_events");
  if (version.room_id_from_create) {
    if (event.pdu.contains("room_id")) return AuthResult::reject("v12 create event must not have a room_id");
  } else if (server_name_of(event.room_id) != server_name_of(event.sender)) {
    return AuthResult::reject("room id domain does not match the creator's");
  }
  if (const auto* room_version = event.content().if_contains("room_version")) {
    if (!room_version->is_string() || !find_room_version(room_version->as_string()))
      return AuthResult::reject("unknown room_version in create event");
  }
  if (!version.creator_is_sender && !event.content().contains("creator"))
    return AuthResult::reject("create event has no creator");
  if (version.room_id_from_create) {
    if (const auto* extra = event.content().if_contains("additional_creators")) {
      if (!extra->is_array()) return AuthResult::reject("additional_creators must be an array");
      for (const auto& user : extra->as_array())
        if (!user.is_string() || !is_valid_user_id(user.as_string()))
          return AuthResult::reject("additional_creators holds an invalid user id");
    }
  }
  return AuthResult::allow();
}

bool only_previous_is_create(const Event& event, const Event& create_event) {
  const auto* prev = event.pdu.if_contains("prev_events");
  if (!prev || !prev->is_array() || prev->as_array().size() != 1) return false;
  const auto& only = prev->as_array().front();
  return only.is_string() && only.as_string() == create_event.event_id;
}

AuthResult check_member(const Event& event, const RoomVersion& version, const StateLookup& state,
                        const Event& create_event, const PowerLevels& power) {
  if (!event.state_key) return AuthResult::reject("member event without state_key");
  const auto* membership_value = event.content().if_contains("membership");
  if (!membership_value || !membership_value->is_string()) return AuthResult::reject("member event without membership");
  std::string membership(membership_value->as_string());
  const std::string& target = *event.state_key;
  auto sender_membership = membership_of(state, event.sender);
  auto target_membership = membership_of(state, target);
  const auto* authorised_via = event.content().if_contains("join_authorised_via_users_server");
  // 5.2: the signature of the authorising server is checked where signatures are checked
  // (on receipt over federation); a local event is signed by this server.

  if (membership == "join") {
    auto creators = room_creators(create_event, version);
    if (only_previous_is_create(event, create_event) && creators.count(target) &&
        target == (version.creator_is_sender ? create_event.sender : *creators.begin()))
      return AuthResult::allow();
    if (event.sender != target) return AuthResult::reject("cannot join on behalf of another user");
    if (sender_membership == "ban") return AuthResult::reject("user is banned from the room");
    auto rule = join_rule_of(state);
    if (rule == "invite" || rule == "knock") {
      if (sender_membership == "invite" || sender_membership == "join") return AuthResult::allow();
      return AuthResult::reject("room is invite-only");
    }
    if (rule == "restricted" || rule == "knock_restricted") {
      if (sender_membership == "invite" || sender_membership == "join") return AuthResult::allow();
      if (!authorised_via || !authorised_via->is_string())
        return AuthResult::reject("restricted join without an authorising user");
      std::string via(authorised_via->as_string());
      if (membership_of(state, via) != "join" || power.user_level(via) < power.invite())
        return AuthResult::reject("authorising user cannot invite");
      return AuthResult::allow();
    }
    if (rule == "public") return AuthResult::allow();
    return AuthResult::reject("join rule does not allow joining");
  }
  if (membership == "invite") {
    if (const auto* third_party = event.content().if_contains("third_party_invite")) {
      if (target_membership == "ban") return AuthResult::reject("target is banned");
      if (!third_party->is_object()) return AuthResult::reject("bad third_party_invite");
      const auto* signed_part = third_party->as_object().if_contains("signed");
      if (!signed_part || !signed_part->is_object()) return AuthResult::reject("third_party_invite without signed");
      const auto& signed_object = signed_part->as_object();
      const auto* mxid = signed_object.if_contains("mxid");
      const auto* token = signed_object.if_contains("token");
      if (!mxid || !token || !mxid->is_string() || !token->is_string())
        return AuthResult::reject("signed lacks mxid or token");
      if (mxid->as_string() != target) return AuthResult::reject("mxid does not match state_key");
      auto invite_event = state("m.room.third_party_invite", token->as_string());
      if (!invite_event) return AuthResult::reject("no matching m.room.third_party_invite");
      if (invite_event->sender != event.sender) return AuthResult::reject("sender does not match the invite's");
      // 5.4.1.7: any signature in `signed` by any public key of the m.room.third_party_invite.
      std::vector<std::string> public_keys;
      const auto& invite_content = invite_event->content();
      if (const auto* key = invite_content.if_contains("public_key"); key && key->is_string())
        public_keys.emplace_back(key->as_string());
      if (const auto* keys = invite_content.if_contains("public_keys"); keys && keys->is_array())
        for (const auto& entry : keys->as_array())
          if (entry.is_object())
            if (const auto* key = entry.as_object().if_contains("public_key"); key && key->is_string())
              public_keys.emplace_back(key->as_string());
      const auto* signatures = signed_object.if_contains("signatures");
      if (signatures && signatures->is_object())
        for (const auto& [server, by_key] : signatures->as_object())
          if (by_key.is_object())
            for (const auto& entry : by_key.as_object())
              for (const auto& public_key : public_keys)
                if (verify_json_signature(signed_object, server, entry.key(), public_key)) return AuthResult::allow();
      return AuthResult::reject("third_party_invite is not signed by a key of the invite");
    }
    if (sender_membership != "join") return AuthResult::reject("inviter is not in the room");
    if (target_membership == "join" || target_membership == "ban")
      return AuthResult::reject("target is already joined or banned");
    if (power.user_level(event.sender) >= power.invite()) return AuthResult::allow();
    return AuthResult::reject("insufficient power to invite");
  }
  if (membership == "leave") {
    if (event.sender == target) {
      if (sender_membership == "invite" || sender_membership == "join" || sender_membership == "knock")
        return AuthResult::allow();
      return AuthResult::reject("user is not in the room");
    }
    if (sender_membership != "join") return AuthResult::reject("sender is not in the room");
    if (target_membership == "ban" && power.user_level(event.sender) < power.ban())
      return AuthResult::reject("insufficient power to unban");
    if (power.user_level(event.sender) >= power.kick() && power.user_level(target) < power.user_level(event.sender))
      return AuthResult::allow();
    return AuthResult::reject("insufficient power to kick");
  }
  if (membership == "ban") {
    if (sender_membership != "join") return AuthResult::reject("sender is not in the room");
    if (power.user_level(event.sender) >= power.ban() && power.user_level(target) < power.user_level(event.sender))
      return AuthResult::allow();
    return AuthResult::reject("insufficient power to ban");
  }
  if (membership == "knock") {
    auto rule = join_rule_of(state);
    if (rule != "knock" && rule != "knock_restricted") return AuthResult::reject("room does not allow knocking");
    if (event.sender != target) return AuthResult::reject("cannot knock on behalf of another user");
    if (sender_membership != "ban" && sender_membership != "invite" && sender_membership != "join")
      return AuthResult::allow();
    return AuthResult::reject("cannot knock from current membership");
  }
  return AuthResult::reject("unknown membership");
}

// Integer-valued object check for events/notifications/users.
bool integer_map(const json::value& value, bool keys_are_users) {
  if (!value.is_object()) return false;
  for (const auto& member : value.as_object()) {
    if (!is_integer_value(member.value())) return false;
    if (keys_are_users && !is_valid_user_id(member.key())) return false;
  }
  return true;
}

std::int64_t level_in(const json::object& content, std::string_view map, std::string_view key, bool& present) {
  present = false;
  if (const auto* object = content.if_contains(map); object && object->is_object())
    if (const auto* value = object->as_object().if_contains(key))
      if (auto level = as_integer(*value)) {
        present = true;
        return *level;
      }
  return 0;
}

AuthResult check_power_levels(const Event& event, const RoomVersion& version, const StateLookup& state,
                              const PowerLevels& power) {
  const auto& content = event.content();
  for (auto key : {"users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"})
    if (const auto* value = content.if_contains(key); value && !is_integer_value(*value))
      return AuthResult::reject(std::string("power level '") + key + "' is not an integer");
  for (auto key : {"events", "notifications"})
    if (const auto* value = content.if_contains(key); value && !integer_map(*value, false))
      return AuthResult::reject(std::string("'") + key + "' must map to integers");
  if (const auto* users = content.if_contains("users"); users && !integer_map(*users, true))
    return AuthResult::reject("'users' must map valid user ids to integers");
  if (version.room_id_from_create) {
    if (const auto* users = content.if_contains("users"); users && users->is_object())
      for (const auto& creator : power.creators())
        if (users->as_object().contains(creator)) return AuthResult::reject("room creators cannot be given a power level");
  }
  auto previous = state("m.room.power_levels", "");
  if (!previous) return AuthResult::allow();
  const auto& old_content = previous->content();
  auto sender_level = power.user_level(event.sender);

  auto named_default = [](std::string_view key) -> std::int64_t {
    if (key == "users_default" || key == "events_default" || key == "invite") return 0;
    return 50;
  };
  for (auto key : {"users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"}) {
    const auto* old_value = old_content.if_contains(key);
    const auto* new_value = content.if_contains(key);
    if (!old_value && !new_value) continue;
    auto old_level = old_value ? as_integer(*old_value).value_or(named_default(key)) : named_default(key);
    auto new_level = new_value ? as_integer(*new_value).value_or(named_default(key)) : named_default(key);
    bool changed = (old_value == nullptr) != (new_value == nullptr) || old_level != new_level;
    if (!changed) continue;
    if (old_value && old_level > sender_level) return AuthResult::reject(std::string("cannot change '") + key + "'");
    if (new_value && new_level > sender_level) return AuthResult::reject(std::string("cannot raise '") + key + "'");
  }
  for (auto map : {"events", "notifications"}) {
    std::set<std::string> keys;
    for (const auto* side : {old_content.if_contains(map), content.if_contains(map)})
      if (side && side->is_object())
        for (const auto& member : side->as_object()) keys.insert(std::string(member.key()));
    for (const auto& key : keys) {
      bool had = false, has = false;
      auto old_level = level_in(old_content, map, key, had);
      auto new_level = level_in(content, map, key, has);
      if (had && (!has || old_level != new_level) && old_level > sender_level)
        return AuthResult::reject("cannot change the level of '" + key + "'");
      if (has && (!had || old_level != new_level) && new_level > sender_level)
        return AuthResult::reject("cannot raise the level of '" + key + "' above your own");
    }
  }
  {
    std::set<std::string> users;
    for (const auto* side : {old_content.if_contains("users"), content.if_contains("users")})
      if (side && side->is_object())
        for (const auto& member : side->as_object()) users.insert(std::string(member.key()));
    for (const auto& user : users) {
      bool had = false, has = false;
      auto old_level = level_in(old_content, "users", user, had);
      auto new_level = level_in(content, "users", user, has);
      bool changed = had != has || old_level != new_level;
      if (!changed) continue;
      if (had && user != event.sender && old_level >= sender_level)
        return AuthResult::reject("cannot change the level of " + user);
      if (has && new_level > sender_level) return AuthResult::reject("cannot raise " + user + " above your own level");
    }
  }
  return AuthResult::allow();
}

}  // namespace

AuthResult check_auth_rules(const Event& event, const RoomVersion& version, const StateLookup& state) {
  if (event.type == "m.room.create") return check_create(event, version);

  auto create_event = state("m.room.create", "");
  if (!create_event) return AuthResult::reject("room has no create event");
  if (version.room_id_from_create) {
    if (event.room_id.size() < 2 || create_event->event_id != "$" + event.room_id.substr(1))
      return AuthResult::reject("room id is not the create event's hash");
  } else if (!event.pdu.contains("room_id")) {
    return AuthResult::reject("event has no room_id");
  }
  if (const auto* federate = create_event->content().if_contains("m.federate");
      federate && federate->is_bool() && !federate->as_bool() &&
      server_name_of(event.sender) != server_name_of(create_event->sender))
    return AuthResult::reject("room does not federate");

  auto power_event = state("m.room.power_levels", "");
  PowerLevels power(create_event.get(), power_event.get(), version);

  if (event.type == "m.room.member") return check_member(event, version, state, *create_event, power);

  if (membership_of(state, event.sender) != "join") return AuthResult::reject("sender is not joined to the room");
  auto sender_level = power.user_level(event.sender);
  if (event.type == "m.room.third_party_invite") {
    return sender_level >= power.invite() ? AuthResult::allow() : AuthResult::reject("insufficient power to invite");
  }
  if (power.event_level(event.type, event.is_state()) > sender_level)
    return AuthResult::reject("insufficient power to send " + event.type);
  if (event.state_key && !event.state_key->empty() && event.state_key->front() == '@' && *event.state_key != event.sender)
    return AuthResult::reject("state key belongs to another user");
  if (event.type == "m.room.power_levels" && event.state_key && event.state_key->empty())
    return check_power_levels(event, version, state, power);
  return AuthResult::allow();
}

std::vector<StateKey> auth_event_keys(const Event& event, const RoomVersion& version) {
  std::vector<StateKey> keys;
  if (event.type == "m.room.create") return keys;
  if (!version.room_id_from_create) keys.push_back({"m.room.create", ""});
  keys.push_back({"m.room.power_levels", ""});
  keys.push_back({"m.room.member", event.sender});
  if (event.type == "m.room.member" && event.state_key) {
    keys.push_back({"m.room.member", *event.state_key});
    auto membership = event.membership();
    if (membership == "join" || membership == "invite" || membership == "knock")
      keys.push_back({"m.room.join_rules", ""});
    if (membership == "invite") {
      if (const auto* third_party = event.content().if_contains("third_party_invite");
          third_party && third_party->is_object()) {
        if (const auto* signed_part = third_party->as_object().if_contains("signed"); signed_part && signed_part->is_object())
          if (const auto* token = signed_part->as_object().if_contains("token"); token && token->is_string())
            keys.push_back({"m.room.third_party_invite", std::string(token->as_string())});
      }
    }
    if (membership == "join")
      if (const auto* via = event.content().if_contains("join_authorised_via_users_server"); via && via->is_string())
        keys.push_back({"m.room.member", std::string(via->as_string())});
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

AuthResult check_auth_events_shape(const Event& event, const std::vector<EventPtr>& auth_events,
                                   const RoomVersion& version) {
  auto allowed = auth_event_keys(event, version);
  std::set<StateKey> seen;
  bool has_create = false;
  for (const auto& auth : auth_events) {
    if (!auth->state_key) return AuthResult::reject("auth event is not a state event");
    StateKey key{auth->type, *auth->state_key};
    if (!seen.insert(key).second) return AuthResult::reject("duplicate auth event for " + key.type);
    if (key.type == "m.room.create") has_create = true;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return AuthResult::reject("auth event " + key.type + " was not selected by the auth events rules");
    if (auth->room_id != event.room_id) return AuthResult::reject("auth event from another room");
  }
  if (!version.room_id_from_create && !has_create) return AuthResult::reject("no m.room.create among auth events");
  return AuthResult::allow();
}

}  // namespace domovoy
