#pragma once
// Membership changes as clients ask for them: the dedicated endpoints (join, invite, kick, ban,
// unban, leave) and PUT /rooms/{roomId}/state/m.room.member/{userId} go through this one
// function, so the same checks apply whichever way a client asks.
#include <boost/json/object.hpp>

#include <string>

#include "homeserver/client/services.hpp"

namespace domovoy {

// Sends `sender`'s change of `target`'s membership with `content` (which carries `membership`).
// Throws ApiError: 400 for an unknown membership, 404 for an unknown invitee of this server,
// 403 when the change is not allowed. Returns the event now describing the membership (for a
// leave of a room one has already left, the existing leave).
EventPtr change_membership(ClientServices& services, const std::string& room_id, const std::string& sender,
                           const std::string& target, boost::json::object content);

}  // namespace domovoy
