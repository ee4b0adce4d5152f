#pragma once
// The authorisation rules of room versions 10, 11 and 12 (rooms/v10.md, v11.md, v12.md).
// Pure: the caller supplies the room state the event is checked against.
#include <functional>
#include <string>
#include <vector>

#include "homeserver/rooms/event.hpp"

namespace domovoy {

using StateLookup = std::function<EventPtr(std::string_view type, std::string_view state_key)>;

struct AuthResult {
  bool allowed = false;
  std::string reason;
  explicit operator bool() const { return allowed; }
  static AuthResult allow() { return {true, {}}; }
  static AuthResult reject(std::string why) { return {false, std::move(why)}; }
};

// Checks `event` against `state` (the state before the event). Rule 3 (the shape of the
// event's own auth_events) is check_auth_events_shape below; a server checks both.
AuthResult check_auth_rules(const Event& event, const RoomVersion& version, const StateLookup& state);

// The (type, state_key) pairs the auth events of such an event are selected from
// (server-server-api.md: "Auth events selection").
std::vector<StateKey> auth_event_keys(const Event& event, const RoomVersion& version);

// Rule 3 (v12) / rules 2-3 (v10, v11): no duplicate (type, state_key) among the auth events,
// none outside the selection, none from another room, and the create event where required.
AuthResult check_auth_events_shape(const Event& event, const std::vector<EventPtr>& auth_events,
                                   const RoomVersion& version);

}  // namespace domovoy
