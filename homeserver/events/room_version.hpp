#pragma once
// What differs between the room versions this server speaks (rooms/_index.md feature matrix).
#include <string_view>

namespace domovoy {

struct RoomVersion {
  std::string_view id;
  // v11+: the redaction algorithm of rooms/fragments/v11-redactions.md (no `origin`,
  // `membership`, `prev_state`; whole create content; `invite` power; `redacts` in content).
  bool v11_redaction;
  // v11+: the create event has no `creator`; the creator is its sender.
  bool creator_is_sender;
  // v12: room id is the create event's reference hash; creators have infinite power and
  // `additional_creators`; the create event is not an auth event.
  bool room_id_from_create;
  // v12: state resolution's iterative auth checks of power events start from an empty state,
  // and the full conflicted set takes in the conflicted state subgraph (rooms/v12.md).
  bool state_res_from_empty;
};

// The versions this server can create and join; nullptr for any other.
const RoomVersion* find_room_version(std::string_view id);
inline constexpr std::string_view kDefaultRoomVersion = "12";
// All supported versions, for /capabilities.
const RoomVersion* supported_room_versions_begin();
const RoomVersion* supported_room_versions_end();

}  // namespace domovoy
