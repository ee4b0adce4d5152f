#pragma once
// Room actions as the client API, housing provisioning and (later) federation ask for them:
// creating a room with its aliases and directory entry, and membership changes. It knows no
// HTTP: handlers parse a request into these calls and format what they return.
#include <boost/json/object.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/rooms/room_engine.hpp"

namespace domovoy {

class RoomDirectory;

struct MemberProfile {
  std::string displayname;
  std::string avatar_url;
};

// What a new room is to be (createRoom's body, or a room the server provisions itself).
struct RoomCreation {
  struct StateEntry {
    std::string type;
    std::string state_key;
    boost::json::object content;
  };

  std::string creator;
  const RoomVersion* version = nullptr;
  std::string visibility = "private";  // "public" also lists the room in the directory
  std::string preset;                  // empty: public_chat for public rooms, private_chat otherwise
  bool is_direct = false;
  // Users to invite; those of other servers are invited by the caller through their server
  // (invite v2) once the room exists: only their power and creatorship are set here.
  std::vector<std::string> invitees;
  std::vector<std::string> aliases;  // full local aliases; the first becomes m.room.canonical_alias
  boost::json::object creation_content;
  std::optional<boost::json::object> power_level_content_override;
  std::vector<StateEntry> initial_state;
  std::optional<std::string> name;
  std::optional<std::string> topic;
  // Rooms the server creates for itself name themselves: a second creation with the same key
  // answers the room made by the first (and creates nothing), even after a crash between them.
  std::string idempotency_key;
};

struct CreatedRoom {
  std::string room_id;
  bool created = false;  // false when idempotency_key named a room that already existed
};

class RoomService {
 public:
  using ProfileOf = std::function<std::optional<MemberProfile>(const std::string& user_id)>;

  // `profile_of` answers for local users (nullopt: no such account); remote users have none here.
  // It owns creationkey_roomid (idempotency keys of the rooms the server creates).
  RoomService(storage::Database& database, RoomEngine& engine, RoomDirectory& directory, std::string server_name,
              ProfileOf profile_of)
      : database_(database),
        engine_(engine),
        directory_(directory),
        server_name_(std::move(server_name)),
        profile_of_(std::move(profile_of)) {}

  // Creates the room, its aliases and its directory entry in one durable write. Throws ApiError:
  // 400 M_ROOM_IN_USE for a taken alias, 400 M_INVALID_ROOM_STATE for refused initial state.
  CreatedRoom create_room(const RoomCreation& creation);
  // The room a keyed creation made, if any.
  std::optional<std::string> keyed_room(const std::string& idempotency_key) const;

  // Sends `sender`'s change of `target`'s membership with `content` (which carries
  // `membership`). Throws ApiError: 400 for an unknown membership, 404 for an unknown invitee
  // of this server, 403 when the change is not allowed. Returns the event now describing the
  // membership (for a leave of a room one has already left, the existing leave).
  EventPtr change_membership(const std::string& room_id, const std::string& sender, const std::string& target,
                             boost::json::object content);
  // For an invite of another server's user: the same checks, then the invite built and signed
  // but not stored, since that server signs it first (federation invite v2); the caller stores
  // what it answers with RoomEngine::accept_remote_event.
  std::shared_ptr<Event> prepare_remote_invite(const std::string& room_id, const std::string& sender,
                                               const std::string& target, boost::json::object content);
  // POST /rooms/{id}/upgrade (modules/room_upgrades.md "Server behaviour"): a replacement room
  // of `version` whose create event names the old room as predecessor, with the old room's
  // transferable state, its bans and space children copied, its local aliases and directory
  // listing moved, its local members invited when only an invite lets them in; then the
  // tombstone, and power levels in the old room that stop ordinary members from speaking or
  // inviting. Throws ApiError: 404 for an unknown room, 403 unless `user_id` is joined and may
  // send m.room.tombstone. Returns the new room's id.
  std::string upgrade_room(const std::string& room_id, const std::string& user_id, const RoomVersion& version,
                           const std::vector<std::string>& additional_creators);

  // m.room.member content for a membership change by the user themself, with their profile.
  boost::json::object own_member_content(const std::string& user_id, const std::string& membership,
                                         std::optional<std::string> reason) const;

  // A policy over membership changes that clients ask for (housing: the building's rooms admit
  // only those entitled). It throws ApiError to refuse; set while the server is assembled.
  using MembershipGate = std::function<void(const std::string& room_id, const std::string& sender,
                                            const std::string& target, const std::string& membership)>;
  void set_membership_gate(MembershipGate gate) { gate_ = std::move(gate); }

  RoomEngine& engine() { return engine_; }
  RoomDirectory& directory() { return directory_; }

 private:
  // change_membership's checks (membership, target, the housing gate); the content to send.
  boost::json::object checked_membership(const std::string& room_id, const std::string& sender,
                                         const std::string& target, boost::json::object content);
  std::vector<EventDraft> creation_drafts(const RoomCreation& creation) const;
  bool is_local(std::string_view user_id) const;

  storage::Database& database_;
  RoomEngine& engine_;
  RoomDirectory& directory_;
  std::string server_name_;
  ProfileOf profile_of_;
  MembershipGate gate_;
  std::mutex keyed_creation_mutex_;  // one creation per idempotency key at a time
  std::mutex upgrade_mutex_;          // one upgrade at a time, so a room is replaced once
};

}  // namespace domovoy
