#include "homeserver/events/room_version.hpp"

#include <array>

namespace domovoy {

namespace {
constexpr std::array<RoomVersion, 3> kVersions = {{
    {"10", false, false, false, false},
    {"11", true, true, false, false},
    {"12", true, true, true, true},
}};
}

const RoomVersion* find_room_version(std::string_view id) {
  for (const auto& version : kVersions)
    if (version.id == id) return &version;
  return nullptr;
}

const RoomVersion* supported_room_versions_begin() { return kVersions.data(); }
const RoomVersion* supported_room_versions_end() { return kVersions.data() + kVersions.size(); }

}  // namespace domovoy
