#include "housing/process/housing_directory.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/core/json.hpp"
#include "homeserver/core/time_format.hpp"
#include "housing/registry/registry_parser.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using boost::beast::http::verb;

bool HousingDirectory::refresh() {
  auto registry_answer = api_.call(verb::get, "/_domovoy/admin/v1/registry");
  auto buildings_answer = api_.call(verb::get, "/_domovoy/admin/v1/buildings");
  if (!registry_answer.ok() || !buildings_answer.ok() || !buildings_answer.body.is_object()) {
    spdlog::warn("housing: cannot read the registry from the homeserver ({} {})", registry_answer.status,
                 registry_answer.errcode());
    return false;
  }
  std::shared_ptr<const Registry> registry;
  try {
    registry = std::make_shared<Registry>(registry_from_json(registry_answer.body));
  } catch (const std::exception& error) {
    spdlog::error("housing: the homeserver's registry does not parse: {}", error.what());
    return false;
  }
  std::map<std::string, RoomPlace> places;
  std::map<std::string, BuildingRoomIds> rooms;
  std::map<std::string, std::string> dispatch;
  const auto& body = buildings_answer.body.as_object();
  if (const auto* list = body.if_contains("buildings"); list && list->is_array())
    for (const auto& entry : list->as_array()) {
      if (!entry.is_object()) continue;
      const auto& building = entry.as_object();
      auto id = optional_string(building, "id").value_or("");
      const auto* room_map = optional_object(building, "rooms");
      if (id.empty() || !room_map) continue;
      BuildingRoomIds ids;
      auto text = [&](const char* key) {
        const auto* value = room_map->if_contains(key);
        return value && value->is_string() ? std::string(value->as_string()) : std::string();
      };
      ids.space = text("space");
      ids.general = text("general");
      ids.announcements = text("announcements");
      ids.owners = text("owners");
      ids.neighbourhood = text("neighbourhood");
      for (const auto* kind : {"space", "general", "announcements", "owners"})
        if (auto room = text(kind); !room.empty()) places[room] = RoomPlace{id, kind, 0, {}};
      // A neighbourhood room is shared: it is attributed to the first building that names it.
      if (!ids.neighbourhood.empty() && !places.count(ids.neighbourhood))
        places[ids.neighbourhood] = RoomPlace{id, "neighbourhood", 0, {}};
      if (const auto* entrances = optional_object(*room_map, "entrances"))
        for (const auto& [number, room] : *entrances)
          if (room.is_string()) {
            int entrance = std::atoi(std::string(number).c_str());
            ids.entrances[entrance] = std::string(room.as_string());
            places[std::string(room.as_string())] = RoomPlace{id, "entrance", entrance, {}};
          }
      rooms[id] = std::move(ids);
    }
  if (const auto* list = optional_object(body, "dispatch_rooms"))
    for (const auto& [company, room] : *list)
      if (room.is_string()) {
        dispatch[std::string(company)] = std::string(room.as_string());
        places[std::string(room.as_string())] = RoomPlace{{}, "dispatch", 0, std::string(company)};
      }
  std::lock_guard lock(mutex_);
  registry_ = std::move(registry);
  places_ = std::move(places);
  rooms_ = std::move(rooms);
  dispatch_rooms_ = std::move(dispatch);
  read_at_ = std::chrono::steady_clock::now();
  stale_ = false;
  return true;
}

void HousingDirectory::refresh_if_older(std::chrono::seconds age) {
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() - read_at_ < age) return;
  }
  refresh();
}

std::shared_ptr<const Registry> HousingDirectory::registry() const {
  std::lock_guard lock(mutex_);
  return registry_;
}

std::optional<RoomPlace> HousingDirectory::place_of(const std::string& room_id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = places_.find(room_id); it != places_.end()) return it->second;
      // A room made after the last read (a building imported since) is found by reading again:
      // at once when the housing user has created rooms since (mark_stale), otherwise not more
      // than every ten seconds, since most unknown rooms are simply not housing rooms.
      if (attempt == 1 || (!stale_ && std::chrono::steady_clock::now() - read_at_ < std::chrono::seconds(10)))
        return std::nullopt;
    }
    refresh();
  }
  return std::nullopt;
}

std::optional<BuildingRoomIds> HousingDirectory::rooms_of(const std::string& building_id) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(building_id);
  if (it == rooms_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> HousingDirectory::dispatch_room(const std::string& company_id) const {
  std::lock_guard lock(mutex_);
  auto it = dispatch_rooms_.find(company_id);
  if (it == dispatch_rooms_.end()) return std::nullopt;
  return it->second;
}

std::vector<ResidentVerification> HousingDirectory::verifications_of(const std::string& user_id) {
  auto answer = api_.call(verb::get, "/_domovoy/admin/v1/users/" + HomeserverApi::segment(user_id) + "/verifications");
  if (!answer.ok() || !answer.body.is_object())
    throw HomeserverUnavailable("the homeserver did not answer for verifications (" + std::to_string(answer.status) + ")");
  std::vector<ResidentVerification> verifications;
  if (const auto* list = answer.body.as_object().if_contains("verifications"); list && list->is_array())
    for (const auto& entry : list->as_array()) {
      if (!entry.is_object()) continue;
      const auto& v = entry.as_object();
      ResidentVerification verification{optional_string(v, "building_id").value_or(""),
                                        optional_string(v, "apartment").value_or(""),
                                        optional_string(v, "role").value_or(""), 0};
      if (auto at = optional_string(v, "verified_at"))
        if (auto parsed = parse_iso8601(*at)) verification.verified_at = *parsed;
      verifications.push_back(std::move(verification));
    }
  return verifications;
}

std::vector<HousingDirectory::BuildingResident> HousingDirectory::residents_of(const std::string& building_id) {
  auto answer = api_.call(verb::get, "/_domovoy/admin/v1/buildings/" + HomeserverApi::segment(building_id) + "/residents");
  if (!answer.ok() || !answer.body.is_object())
    throw HomeserverUnavailable("the homeserver did not answer for residents (" + std::to_string(answer.status) + ")");
  std::vector<BuildingResident> residents;
  if (const auto* list = answer.body.as_object().if_contains("residents"); list && list->is_array())
    for (const auto& entry : list->as_array()) {
      if (!entry.is_object()) continue;
      const auto& v = entry.as_object();
      BuildingResident resident{optional_string(v, "user_id").value_or(""),
                                {optional_string(v, "building_id").value_or(""), optional_string(v, "apartment").value_or(""),
                                 optional_string(v, "role").value_or(""), 0}};
      if (auto at = optional_string(v, "verified_at"))
        if (auto parsed = parse_iso8601(*at)) resident.verification.verified_at = *parsed;
      residents.push_back(std::move(resident));
    }
  return residents;
}

bool HousingDirectory::is_staff_of(const std::string& user_id, const Building& building) const {
  auto registry = this->registry();
  if (building.chair && *building.chair == user_id) return true;
  const auto& inspectors = registry->region.inspectorate.staff;
  if (std::find(inspectors.begin(), inspectors.end(), user_id) != inspectors.end()) return true;
  if (const auto* company = registry->find_management_company(building.management_company))
    return std::find(company->staff.begin(), company->staff.end(), user_id) != company->staff.end();
  return false;
}

bool HousingDirectory::is_staff_anywhere(const std::string& user_id) const {
  auto registry = this->registry();
  for (const auto& company : registry->management_companies)
    if (std::find(company.staff.begin(), company.staff.end(), user_id) != company.staff.end()) return true;
  for (const auto& building : registry->buildings)
    if (building.chair && *building.chair == user_id) return true;
  const auto& inspectors = registry->region.inspectorate.staff;
  return std::find(inspectors.begin(), inspectors.end(), user_id) != inspectors.end();
}

}  // namespace domovoy::housing
