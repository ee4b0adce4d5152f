#pragma once
// State resolution v2 (rooms/fragments/v2-state-res.md) with room version 12's changes
// (rooms/v12.md: power events checked from an empty state, the conflicted state subgraph in the
// full conflicted set): the state of a room where its history forked, as every server computes
// it alike from the same events. A pure function of the states and the events they reach; the
// room engine calls it whenever forward extremities merge.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "homeserver/events/room_version.hpp"
#include "homeserver/rooms/event.hpp"
#include "homeserver/rooms/state_store.hpp"

namespace domovoy {

// The event with this id, or null when it is not known (it then takes no part).
using EventFetch = std::function<EventPtr(std::string_view event_id)>;

// Resolves `states` for a room of `version`. `create_event_id` names the room's create event,
// which room version 12 leaves out of auth_events but every auth check needs.
StateMap resolve_state(const RoomVersion& version, const std::vector<StateMap>& states, const EventFetch& fetch,
                       const std::string& create_event_id);

}  // namespace domovoy
