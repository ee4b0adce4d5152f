#pragma once
// Questions several client API areas ask about a room and a user: who may see which event,
// whether the user is in the room, how an alias resolves, what a join event carries.
#include <boost/json/object.hpp>

#include <optional>
#include <set>
#include <string>

#include "homeserver/client/services.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/http/request.hpp"

namespace domovoy {

// Throws 404 M_NOT_FOUND for an unknown room.
void require_room(ClientServices& services, const std::string& room_id);
// Throws 403 M_FORBIDDEN unless the user is joined now.
void require_joined(ClientServices& services, const std::string& room_id, const std::string& user_id);
// The stream position up to which the user may read the room: now when joined, the leave
// event when they left after being joined. nullopt when they never were a member.
std::optional<std::uint64_t> readable_until(ClientServices& services, const std::string& room_id,
                                            const std::string& user_id);
// History visibility (modules/history_visibility.md) for one event.
bool can_see_event(ClientServices& services, const std::string& user_id, const Event& event);
// The same, with the user's current membership of the room already known.
bool can_see_event_as(ClientServices& services, const std::string& user_id, const Event& event,
                      const std::string& current_membership, bool forgotten);

// "#alias:server" or "!room" -> room id; throws 404 for an unknown alias, 400 for garbage.
std::string resolve_room_id_or_alias(ClientServices& services, const std::string& room_id_or_alias);
std::optional<std::string> lookup_alias(ClientServices& services, const std::string& alias);
// Throws 400 M_EXCLUSIVE when an appservice other than the caller's claims the alias exclusively.
void require_alias_not_exclusive(ClientServices& services, const http::Request& request, const std::string& alias);

// m.room.member content for a membership change by the user themself, with their profile.
boost::json::object own_member_content(ClientServices& services, const std::string& user_id,
                                       const std::string& membership, const boost::json::object& body);
// The users in the user's m.ignored_user_list (modules/ignore_users.md).
std::set<std::string> ignored_users(ClientServices& services, const std::string& user_id);
// An ignored user's messages are left out of what the user is served; state events stay, the
// room would make no sense without them.
inline bool hidden_by_ignore(const std::set<std::string>& ignored, const Event& event) {
  return !ignored.empty() && !event.is_state() && ignored.count(event.sender) > 0;
}
// A string field of a state event's content ("" when the event or the field is missing).
std::string state_string(ClientServices& services, const StatePtr& state, const char* type, const char* key);
// What the room directory and the space hierarchy say of a room: room_id, name, topic,
// avatar_url, canonical_alias, num_joined_members, world_readable, guest_can_join, join_rule,
// room_type.
boost::json::object room_summary_chunk(ClientServices& services, const std::string& room_id);
// Stream token text used in /sync, /messages and /context: "s<position>".
std::string stream_token(std::uint64_t position);
// Parses "s123", "s123_4", "t123" and the like; throws 400 M_INVALID_PARAM.
std::uint64_t parse_stream_token(const std::string& token);

}  // namespace domovoy
