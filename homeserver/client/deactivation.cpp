#include "homeserver/client/deactivation.hpp"

#include <spdlog/spdlog.h>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"

namespace domovoy {

void leave_rooms_of_deactivated(ClientServices& services, const std::string& user_id) {
  for (const auto& record : services.rooms.rooms_of_user(user_id)) {
    if (record.membership != "join" && record.membership != "invite" && record.membership != "knock") continue;
    try {
      services.rooms.send(record.room_id, EventDraft{"m.room.member", user_id, user_id,
                                                     json::object{{"membership", "leave"}}, {}, {}});
    } catch (const ApiError&) {
      // Already gone or not permitted: nothing more to do for this room.
    }
  }
  services.accounts.finish_leaves(user_id);
}

void finish_deactivations(ClientServices& services) {
  for (const auto& user_id : services.accounts.users_with_pending_leaves()) {
    try {
      leave_rooms_of_deactivated(services, user_id);
      spdlog::info("finished the room leaves of deactivated {}", user_id);
    } catch (const std::exception& error) {
      // The flag stays: the next start tries again. Serving the others matters more.
      spdlog::error("room leaves of deactivated {} failed: {}", user_id, error.what());
    }
  }
}

}  // namespace domovoy
