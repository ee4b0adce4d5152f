#include "homeserver/client/room_access.hpp"

#include <charconv>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy {

void require_room(ClientServices& services, const std::string& room_id) {
  if (!is_valid_room_id(room_id)) throw invalid_param("Invalid room id");
  if (!services.rooms.room_exists(room_id)) throw not_found("Unknown room");
}

void require_joined(ClientServices& services, const std::string& room_id, const std::string& user_id) {
  require_room(services, room_id);
  if (services.rooms.current_membership(room_id, user_id) != "join")
    throw forbidden("You are not joined to room " + room_id);
}

std::optional<std::uint64_t> readable_until(ClientServices& services, const std::string& room_id,
                                            const std::string& user_id) {
  auto record = services.rooms.membership_record(room_id, user_id);
  if (!record || record->forgotten) return std::nullopt;
  if (record->membership == "join") return services.rooms.current_stream();
  // Someone who left or was banned read the room until then, if they had been in it at all;
  // an invitee or a knocker never was (rooms.yaml: "weren't previously a member").
  if (record->membership != "leave" && record->membership != "ban") return std::nullopt;
  auto change = services.rooms.get_event(record->event_id);
  if (!change || change->replaces_state.empty()) return std::nullopt;
  auto previous = services.rooms.get_event(change->replaces_state);
  if (!previous || previous->membership() != "join") return std::nullopt;
  return record->stream;
}

namespace {
std::string history_visibility(ClientServices& services, const StatePtr& state) {
  auto event = services.rooms.state_event(state, "m.room.history_visibility", "");
  if (!event) return "shared";
  const auto* value = event->content().if_contains("history_visibility");
  return value && value->is_string() ? std::string(value->as_string()) : "shared";
}
}  // namespace

bool can_see_event_as(ClientServices& services, const std::string& user_id, const Event& event,
                      const std::string& current_membership, bool forgotten) {
  auto state = services.rooms.state_at_group(event.state_group_before);
  auto visibility = history_visibility(services, state);
  if (visibility == "world_readable") return true;
  // A forgotten room's history is gone for the user (leaving.yaml, forgetRoom).
  if (forgotten) return false;
  // A user's own membership event is always visible to them.
  if (event.type == "m.room.member" && event.state_key == user_id) return true;
  auto membership_then = services.rooms.membership_in(state, user_id);
  if (membership_then == "join") return true;
  if (visibility == "invited" && membership_then == "invite") return true;
  if (visibility == "shared") return current_membership == "join";
  return false;
}

bool can_see_event(ClientServices& services, const std::string& user_id, const Event& event) {
  auto record = services.rooms.membership_record(event.room_id, user_id);
  return can_see_event_as(services, user_id, event, record ? record->membership : "leave",
                          record && record->forgotten);
}

std::optional<std::string> lookup_alias(ClientServices& services, const std::string& alias) {
  auto record = services.directory.lookup(alias);
  // An unknown alias of an appservice's namespace: the appservice may make it now.
  if (!record && services.query_appservice_alias && services.query_appservice_alias(alias))
    record = services.directory.lookup(alias);
  if (!record) return std::nullopt;
  return record->room_id;
}

void require_alias_not_exclusive(ClientServices& services, const http::Request& request, const std::string& alias) {
  const auto* caller = request.appservice_id.empty() ? nullptr : services.appservices.find_by_id(request.appservice_id);
  if (services.appservices.exclusive_owner_of_alias(alias, caller))
    throw ApiError(400, "M_EXCLUSIVE", "Room alias " + alias + " is reserved by an application service");
}

std::string resolve_room_id_or_alias(ClientServices& services, const std::string& target) {
  if (!target.empty() && target.front() == '#') {
    if (!is_valid_room_alias(target)) throw invalid_param("Invalid room alias");
    auto room_id = lookup_alias(services, target);
    if (!room_id) throw not_found("Room alias " + target + " not found");
    return *room_id;
  }
  if (!is_valid_room_id(target)) throw invalid_param("Invalid room id or alias");
  return target;
}

json::object own_member_content(ClientServices& services, const std::string& user_id, const std::string& membership,
                                const json::object& body) {
  return services.room_service.own_member_content(user_id, membership, optional_string(body, "reason"));
}

std::string stream_token(std::uint64_t position) { return "s" + std::to_string(position); }

std::uint64_t parse_stream_token(const std::string& token) {
  if (token.size() < 2 || (token[0] != 's' && token[0] != 't')) throw invalid_param("Invalid pagination token");
  std::uint64_t value = 0;
  auto end = token.data() + token.size();
  auto result = std::from_chars(token.data() + 1, end, value);
  if (result.ec != std::errc{} || (result.ptr != end && *result.ptr != '_')) throw invalid_param("Invalid pagination token");
  return value;
}

std::string state_string(ClientServices& services, const StatePtr& state, const char* type, const char* key) {
  auto event = services.rooms.state_event(state, type, "");
  if (!event) return {};
  const auto* value = event->content().if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string{};
}

json::object room_summary_chunk(ClientServices& services, const std::string& room_id) {
  auto state = services.rooms.current_state(room_id);
  json::object chunk{{"room_id", room_id},
                     {"num_joined_members", services.rooms.members_summary(room_id).joined},
                     {"world_readable", state_string(services, state, "m.room.history_visibility",
                                                     "history_visibility") == "world_readable"},
                     {"guest_can_join", state_string(services, state, "m.room.guest_access", "guest_access") == "can_join"}};
  auto join_rule = state_string(services, state, "m.room.join_rules", "join_rule");
  chunk["join_rule"] = join_rule.empty() ? "invite" : join_rule;
  for (auto [type, key, field] : {std::tuple{"m.room.name", "name", "name"}, std::tuple{"m.room.topic", "topic", "topic"},
                                  std::tuple{"m.room.avatar", "url", "avatar_url"},
                                  std::tuple{"m.room.canonical_alias", "alias", "canonical_alias"}}) {
    auto value = state_string(services, state, type, key);
    if (!value.empty()) chunk[field] = value;
  }
  auto room_type = state_string(services, state, "m.room.create", "type");
  if (!room_type.empty()) chunk["room_type"] = room_type;
  return chunk;
}

std::set<std::string> ignored_users(ClientServices& services, const std::string& user_id) {
  std::set<std::string> users;
  auto list = services.account_data.get(user_id, "", "m.ignored_user_list");
  if (!list) return users;
  if (const auto* ignored = list->if_contains("ignored_users"); ignored && ignored->is_object())
    for (const auto& entry : ignored->as_object()) users.emplace(entry.key());
  return users;
}

}  // namespace domovoy
