#include "housing/service/registry_store.hpp"

#include <set>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "housing/registry/registry_parser.hpp"
#include "housing/registry/registry_writer.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

using storage::Table;

namespace {
constexpr std::string_view kRegionKey = "region";  // the region and its companies, buildings left out

template <typename Map>
std::optional<typename Map::mapped_type> find_in(const Map& map, const std::string& key) {
  auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

std::string building_key(std::string_view id) { return storage::join_key({"building", id}); }
std::string rooms_key(std::string_view id) { return storage::join_key({"rooms", id}); }
std::string neighbourhood_key(std::string_view id) { return storage::join_key({"neighbourhood", id}); }
std::string dispatch_key(std::string_view id) { return storage::join_key({"dispatch", id}); }

json::object rooms_to_json(const BuildingRooms& rooms) {
  json::object entrances;
  for (const auto& [number, room] : rooms.entrances) entrances[std::to_string(number)] = room;
  return {{"space", rooms.space},       {"general", rooms.general},
          {"announcements", rooms.announcements}, {"owners", rooms.owners},
          {"neighbourhood", rooms.neighbourhood}, {"entrances", std::move(entrances)}};
}

BuildingRooms rooms_from_json(const json::object& object) {
  BuildingRooms rooms;
  auto text = [&](const char* key) {
    const auto* value = object.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  rooms.space = text("space");
  rooms.general = text("general");
  rooms.announcements = text("announcements");
  rooms.owners = text("owners");
  rooms.neighbourhood = text("neighbourhood");
  if (const auto* entrances = object.if_contains("entrances"); entrances && entrances->is_object())
    for (const auto& entry : entrances->as_object())
      rooms.entrances[std::stoi(std::string(entry.key()))] = std::string(entry.value().as_string());
  return rooms;
}
}  // namespace

std::vector<std::string> BuildingRooms::all() const {
  std::vector<std::string> ids;
  for (const auto* id : {&space, &general, &announcements, &owners, &neighbourhood})
    if (!id->empty()) ids.push_back(*id);
  for (const auto& [number, id] : entrances)
    if (!id.empty()) ids.push_back(id);
  return ids;
}

RegistryStore::RegistryStore(storage::Database& database) : database_(database) { load(); }

void RegistryStore::load() {
  json::object document{{"format", std::string(kRegistryFormat)}};
  json::array buildings;
  bool has_region = false;
  database_.scan_prefix(Table::registry_entry, "", [&](std::string_view key, std::string_view value) {
    if (key == kRegionKey) {
      auto stored = parse_stored_json(value).as_object();
      document["region"] = stored["region"];
      document["management_companies"] = stored["management_companies"];
      has_region = true;
    } else if (key.rfind(storage::key_prefix({"building"}), 0) == 0) {
      buildings.push_back(parse_stored_json(value));
    } else if (key.rfind(storage::key_prefix({"rooms"}), 0) == 0) {
      rooms_[std::string(key.substr(6))] = rooms_from_json(parse_stored_json(value).as_object());
    } else if (key.rfind(storage::key_prefix({"neighbourhood"}), 0) == 0) {
      neighbourhoods_[std::string(key.substr(14))] = std::string(value);
    } else if (key.rfind(storage::key_prefix({"dispatch"}), 0) == 0) {
      dispatch_[std::string(key.substr(9))] = std::string(value);
    }
    return true;
  });
  if (!has_region) {
    registry_ = std::make_shared<Registry>();
  } else {
    document["buildings"] = std::move(buildings);
    registry_ = std::make_shared<Registry>(registry_from_json(document));
  }
  index_rooms_locked();
}

void RegistryStore::index_rooms_locked() {
  room_owners_.clear();
  for (const auto& entry : rooms_) {
    const auto& building = entry.first;
    const auto& rooms = entry.second;
    auto add = [&](const std::string& room, const char* kind, int entrance = 0) {
      if (!room.empty()) room_owners_[room] = RoomOwner{building, kind, entrance, {}};
    };
    add(rooms.space, "space");
    add(rooms.general, "general");
    add(rooms.announcements, "announcements");
    add(rooms.owners, "owners");
    for (const auto& [number, room] : rooms.entrances) add(room, "entrance", number);
  }
  for (const auto& [seed, room] : neighbourhoods_) room_owners_[room] = RoomOwner{{}, "neighbourhood", 0, {}};
  for (const auto& [company, room] : dispatch_) room_owners_[room] = RoomOwner{{}, "dispatch", 0, company};
}

std::shared_ptr<const Registry> RegistryStore::registry() const {
  std::shared_lock lock(mutex_);
  return registry_;
}

void RegistryStore::write_registry(storage::WriteBatch& batch, const Registry& registry,
                                   const std::vector<std::string>& buildings) const {
  Registry head = registry;
  head.buildings.clear();
  batch.put(Table::registry_entry, kRegionKey, to_json(registry_to_json(head)));
  for (const auto& id : buildings)
    if (const auto* building = registry.find_building(id))
      batch.put(Table::registry_entry, building_key(id), to_json(building_to_json(*building)));
}

ImportSummary RegistryStore::import(const Registry& file,
                                    const std::function<void(storage::WriteBatch&, const ImportSummary&)>& also_write) {
  std::lock_guard write_lock(write_mutex_);
  auto current = registry();
  Registry merged = *current;
  ImportSummary summary;
  summary.buildings = file.buildings.size();
  for (const auto& building : file.buildings) summary.apartments += building.apartments.size();

  summary.region_changed = !(merged.region == file.region);
  merged.region = file.region;
  for (const auto& company : file.management_companies) {
    bool found = false;
    for (auto& stored : merged.management_companies)
      if (stored.id == company.id) {
        if (!(stored == company)) summary.region_changed = true;
        stored = company;
        found = true;
      }
    if (!found) {
      merged.management_companies.push_back(company);
      summary.region_changed = true;
    }
  }
  for (std::size_t i = 0; i < file.buildings.size(); ++i) {
    const auto& building = file.buildings[i];
    // A slug names the building's aliases: another building may not take it.
    if (const auto* other = merged.find_building_by_slug(building.slug); other && other->id != building.id)
      throw ApiError(400, "M_INVALID_PARAM",
                     "buildings[" + std::to_string(i) + "].slug: '" + building.slug + "' is the slug of building " + other->id);
    bool replaced = false;
    for (auto& stored : merged.buildings)
      if (stored.id == building.id) {
        if (!(stored == building)) summary.changed_buildings.push_back(building.id);
        stored = building;
        replaced = true;
      }
    if (!replaced) {
      merged.buildings.push_back(building);
      summary.changed_buildings.push_back(building.id);
    }
  }
  storage::WriteBatch batch;
  if (summary.region_changed || !summary.changed_buildings.empty())
    write_registry(batch, merged, summary.changed_buildings);
  if (also_write) also_write(batch, summary);
  if (!batch.empty()) database_.write(std::move(batch));
  std::unique_lock lock(mutex_);
  registry_ = std::make_shared<Registry>(std::move(merged));
  return summary;
}

bool RegistryStore::change_building(const std::string& building_id, const std::function<void(Building&)>& change,
                                    const std::function<void(storage::WriteBatch&)>& also_write) {
  std::lock_guard write_lock(write_mutex_);
  Registry merged = *registry();
  bool found = false;
  for (auto& building : merged.buildings)
    if (building.id == building_id) {
      change(building);
      found = true;
    }
  if (!found) return false;
  storage::WriteBatch batch;
  write_registry(batch, merged, {building_id});
  if (also_write) also_write(batch);
  database_.write(std::move(batch));
  std::unique_lock lock(mutex_);
  registry_ = std::make_shared<Registry>(std::move(merged));
  return true;
}

bool RegistryStore::set_management_company(const std::string& building_id, const std::string& company_id,
                                           const std::function<void(storage::WriteBatch&)>& also_write) {
  if (!registry()->find_management_company(company_id))
    throw ApiError(400, "M_INVALID_PARAM", "id: unknown management company " + company_id);
  return change_building(building_id, [&](Building& building) { building.management_company = company_id; }, also_write);
}

bool RegistryStore::set_chair(const std::string& building_id, std::optional<std::string> chair,
                              const std::function<void(storage::WriteBatch&)>& also_write) {
  return change_building(building_id, [&](Building& building) { building.chair = chair; }, also_write);
}

std::optional<BuildingRooms> RegistryStore::rooms(const std::string& building_id) const {
  std::shared_lock lock(mutex_);
  return find_in(rooms_, building_id);
}

void RegistryStore::put_room_entry(const std::string& key, const std::string& value, const std::function<void()>& apply) {
  storage::WriteBatch batch;
  batch.put(Table::registry_entry, key, value);
  database_.write(std::move(batch));
  std::unique_lock lock(mutex_);
  apply();
  index_rooms_locked();
}

void RegistryStore::set_rooms(const std::string& building_id, const BuildingRooms& rooms) {
  put_room_entry(rooms_key(building_id), to_json(rooms_to_json(rooms)), [&] { rooms_[building_id] = rooms; });
}

std::optional<std::string> RegistryStore::neighbourhood_room(const std::string& seed_building_id) const {
  std::shared_lock lock(mutex_);
  return find_in(neighbourhoods_, seed_building_id);
}

void RegistryStore::set_neighbourhood_room(const std::string& seed_building_id, const std::string& room_id) {
  put_room_entry(neighbourhood_key(seed_building_id), room_id, [&] { neighbourhoods_[seed_building_id] = room_id; });
}

std::optional<std::string> RegistryStore::dispatch_room(const std::string& company_id) const {
  std::shared_lock lock(mutex_);
  return find_in(dispatch_, company_id);
}

void RegistryStore::set_dispatch_room(const std::string& company_id, const std::string& room_id) {
  put_room_entry(dispatch_key(company_id), room_id, [&] { dispatch_[company_id] = room_id; });
}

std::optional<RegistryStore::RoomOwner> RegistryStore::room_owner(const std::string& room_id) const {
  std::shared_lock lock(mutex_);
  return find_in(room_owners_, room_id);
}

}  // namespace domovoy::housing
