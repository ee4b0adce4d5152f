#pragma once
// The region's address registry as this server holds it (the one owner of registry_entry):
// the region, its management companies and buildings as imported, and the rooms provisioned
// for each building. Kept whole in memory (a region is thousands of buildings, not millions)
// and swapped as a unit after each durable write, so readers never see half an import.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "housing/registry/model.hpp"

namespace domovoy {
namespace storage {
class Database;
class WriteBatch;
}  // namespace storage
}  // namespace domovoy

namespace domovoy::housing {

// The rooms of one building, as provisioned (empty strings until made).
struct BuildingRooms {
  std::string space, general, announcements, owners, neighbourhood;
  std::map<int, std::string> entrances;
  std::vector<std::string> all() const;  // every room id that is set
};

struct ImportSummary {
  std::size_t buildings = 0;   // in the file
  std::size_t apartments = 0;  // in the file
  std::vector<std::string> changed_buildings;  // ids of new or changed buildings
  bool region_changed = false;
};

class RegistryStore {
 public:
  explicit RegistryStore(storage::Database& database);

  std::shared_ptr<const Registry> registry() const;
  bool empty() const { return registry()->buildings.empty(); }

  // Merges a parsed file into the registry: its region, its companies (by id) and its buildings
  // (each replacing the stored one of the same id). Checks what spans buildings (slugs unique in
  // the region) and writes everything in one batch, with `also_write` (pending provisioning).
  // Throws ApiError 400 M_INVALID_PARAM with the JSON path. Nothing changes when nothing differs.
  ImportSummary import(const Registry& file, const std::function<void(storage::WriteBatch&, const ImportSummary&)>& also_write);
  // Changes a building's management company; false when the building is unknown.
  // Throws 400 M_INVALID_PARAM for an unknown company.
  bool set_management_company(const std::string& building_id, const std::string& company_id,
                              const std::function<void(storage::WriteBatch&)>& also_write);
  bool set_chair(const std::string& building_id, std::optional<std::string> chair,
                 const std::function<void(storage::WriteBatch&)>& also_write);

  std::optional<BuildingRooms> rooms(const std::string& building_id) const;
  void set_rooms(const std::string& building_id, const BuildingRooms& rooms);
  std::optional<std::string> neighbourhood_room(const std::string& seed_building_id) const;
  void set_neighbourhood_room(const std::string& seed_building_id, const std::string& room_id);
  std::optional<std::string> dispatch_room(const std::string& company_id) const;
  void set_dispatch_room(const std::string& company_id, const std::string& room_id);
  // The building and the kind of room for a provisioned room id (for the join policy).
  struct RoomOwner {
    std::string building_id;  // empty for a company's dispatchers' room and neighbourhoods
    std::string kind;         // space, general, announcements, entrance, owners, neighbourhood, dispatch
    int entrance = 0;
    std::string company_id;   // for dispatch
  };
  std::optional<RoomOwner> room_owner(const std::string& room_id) const;

 private:
  void load();
  void write_registry(storage::WriteBatch& batch, const Registry& registry, const std::vector<std::string>& buildings) const;
  void index_rooms_locked();
  // Read, change, write (with also_write) and swap one building; false when it is unknown.
  bool change_building(const std::string& building_id, const std::function<void(Building&)>& change,
                       const std::function<void(storage::WriteBatch&)>& also_write);
  void put_room_entry(const std::string& key, const std::string& value, const std::function<void()>& apply);

  storage::Database& database_;
  mutable std::shared_mutex mutex_;
  std::mutex write_mutex_;  // one registry change at a time (read, merge, write, swap)
  std::shared_ptr<const Registry> registry_;
  std::map<std::string, BuildingRooms> rooms_;
  std::map<std::string, std::string> neighbourhoods_;  // seed building id -> room
  std::map<std::string, std::string> dispatch_;        // company id -> room
  std::map<std::string, RoomOwner> room_owners_;
};

}  // namespace domovoy::housing
