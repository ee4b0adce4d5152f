#pragma once
// A space's hierarchy as another server asks for it (server-server-api "Spaces",
// GET /_matrix/federation/v1/hierarchy/{roomId}); the client API's walk is in hierarchy.cpp and
// asks other servers the same way for the rooms this server is not in.
#include <boost/json/object.hpp>

#include <string>

#include "homeserver/client/services.hpp"

namespace domovoy {

// {room, children, inaccessible_children} of a room of this server, as `origin` may see them: a
// room it could join or see, or one a user of it is in (restricted rooms with their
// allowed_room_ids, for that server to judge). Throws ApiError 404 for a room it may not see.
// Blocks.
boost::json::object federation_hierarchy(ClientServices& services, const std::string& room_id,
                                         const std::string& origin, bool suggested_only);

}  // namespace domovoy
