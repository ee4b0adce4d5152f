#pragma once
// Deactivation's room leaves. AccountStore::deactivate ends every session and marks the account
// "leaves pending" in one batch; the leaves are room events (one per room, each its own write
// through the room engine), so they cannot join that batch. Instead the flag stays until every
// leave went out: a crash or a failing room in between leaves it set, and the server finishes
// the leaves at its next start (finish_deactivations). A second /account/deactivate cannot be
// the retry, because the first one already revoked every token the user could call it with.
#include <string>

#include "homeserver/client/services.hpp"

namespace domovoy {

// Sends a leave to every room the user is joined to, invited to or knocking on, then clears the
// account's leaves-pending flag. Throws (and keeps the flag) when a room write fails.
void leave_rooms_of_deactivated(ClientServices& services, const std::string& user_id);

// At start-up: finishes the leaves of every deactivation that did not get to the end.
void finish_deactivations(ClientServices& services);

}  // namespace domovoy
