#pragma once
// What the housing process knows of the region, read from the homeserver's housing API with
// the appservice's token: the registry (apartments, areas, shares, meters, staff), the rooms of
// each building, and a user's verifications. The registry is cached and read again when a room
// it does not know speaks, or at most every minute; verifications are asked for every command,
// since a revocation must take effect at once.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "housing/process/homeserver_api.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

struct RoomPlace {
  std::string building_id;  // empty for a dispatchers' room
  std::string kind;         // space, general, announcements, owners, entrance, neighbourhood, dispatch
  int entrance = 0;
  std::string company_id;   // dispatch rooms
};

struct BuildingRoomIds {
  std::string space, general, announcements, owners, neighbourhood;
  std::map<int, std::string> entrances;
};

struct ResidentVerification {
  std::string building_id;
  std::string apartment;
  std::string role;  // owner | tenant
  std::int64_t verified_at = 0;
};

class HousingDirectory {
 public:
  explicit HousingDirectory(HomeserverApi& api) : api_(api) {}

  // Reads the registry and the rooms again; false when the homeserver did not answer.
  bool refresh();
  // Refreshes when the last read is older than `age`.
  void refresh_if_older(std::chrono::seconds age);

  std::shared_ptr<const Registry> registry() const;
  // The housing user created a room: the next unknown room is looked up afresh.
  void mark_stale() {
    std::lock_guard lock(mutex_);
    stale_ = true;
  }
  std::optional<RoomPlace> place_of(const std::string& room_id);  // refreshes once for an unknown room
  std::optional<BuildingRoomIds> rooms_of(const std::string& building_id) const;
  std::optional<std::string> dispatch_room(const std::string& company_id) const;

  // Asked of the homeserver each time; throws std::runtime_error when it does not answer.
  std::vector<ResidentVerification> verifications_of(const std::string& user_id);

  // Every verification of a building (user, apartment, role), asked of the homeserver each time.
  struct BuildingResident {
    std::string user_id;
    ResidentVerification verification;
  };
  std::vector<BuildingResident> residents_of(const std::string& building_id);

  // The management company's staff, the building's chair and the region's inspectors.
  bool is_staff_of(const std::string& user_id, const Building& building) const;
  bool is_staff_anywhere(const std::string& user_id) const;

 private:
  HomeserverApi& api_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Registry> registry_ = std::make_shared<Registry>();
  std::map<std::string, RoomPlace> places_;
  std::map<std::string, BuildingRoomIds> rooms_;
  std::map<std::string, std::string> dispatch_rooms_;
  std::chrono::steady_clock::time_point read_at_{};
  bool stale_ = false;
};

}  // namespace domovoy::housing
