#pragma once
// Events as clients see them (definitions/client_event.yaml): the PDU's public fields, the
// event id and room id, and `unsigned` with age, prev_content and the sender's transaction id.
#include <boost/json/object.hpp>

#include "homeserver/rooms/room_engine.hpp"

namespace domovoy {

// `viewer_device` gets unsigned.transaction_id when it sent the event; `rooms` supplies the
// replaced state event's current content for unsigned.prev_content.
// `bundle_relations`: unsigned.m.relations with the event's bundled aggregations (the latest edit
// by its sender, its thread's summary, its references), as every endpoint that serves events has.
boost::json::object client_event(RoomEngine& rooms, const Event& event, std::string_view viewer_user = {},
                                 std::string_view viewer_device = {}, bool include_room_id = true,
                                 bool bundle_relations = true);
// Stripped state for invites: type, state_key, content, sender.
boost::json::object stripped_state_event(const Event& event);

}  // namespace domovoy
