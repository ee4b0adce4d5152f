#include "housing/registry/registry_writer.hpp"

#include "housing/registry/iso_date.hpp"

namespace domovoy::housing {

namespace {
json::array string_array(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return array;
}

json::object meter_to_json(const Meter& meter) {
  json::object object{{"type", to_string(meter.type)},
                      {"serial", meter.serial},
                      {"verified_until", format_iso_date(meter.verified_until)}};
  if (meter.reading) object["reading"] = meter.reading->to_string();
  return object;
}

json::object apartment_to_json(const Apartment& apartment) {
  json::object object{{"number", apartment.number},
                      {"entrance", apartment.entrance},
                      {"area", format_area_hundredths(apartment.area_hundredths)}};
  if (apartment.floor) object["floor"] = *apartment.floor;
  if (apartment.account) object["account"] = *apartment.account;
  json::array owners;
  for (const auto& owner : apartment.owners)
    owners.push_back(json::object{{"name", owner.name}, {"share", owner.share.to_string()}});
  object["owners"] = std::move(owners);
  json::array meters;
  for (const auto& meter : apartment.meters) meters.push_back(meter_to_json(meter));
  object["meters"] = std::move(meters);
  return object;
}
}  // namespace

json::object building_to_json(const Building& building) {
  json::object object{{"id", building.id},
                      {"slug", building.slug},
                      {"address", building.address},
                      {"lat", building.location.lat},
                      {"lon", building.location.lon},
                      {"management_company", building.management_company}};
  if (building.chair) object["chair"] = *building.chair;
  json::array entrances;
  for (int entrance : building.entrances) entrances.emplace_back(entrance);
  object["entrances"] = std::move(entrances);
  json::array apartments;
  for (const auto& apartment : building.apartments) apartments.push_back(apartment_to_json(apartment));
  object["apartments"] = std::move(apartments);
  return object;
}

json::object registry_to_json(const Registry& registry) {
  const auto& region = registry.region;
  json::array companies;
  for (const auto& company : registry.management_companies)
    companies.push_back(
        json::object{{"id", company.id}, {"name", company.name}, {"staff", string_array(company.staff)}});
  json::array buildings;
  for (const auto& building : registry.buildings) buildings.push_back(building_to_json(building));
  return {{"format", kRegistryFormat},
          {"region", json::object{{"code", region.code},
                                  {"name", region.name},
                                  {"inspectorate", json::object{{"name", region.inspectorate.name},
                                                                {"staff", string_array(region.inspectorate.staff)}}}}},
          {"management_companies", std::move(companies)},
          {"buildings", std::move(buildings)}};
}

}  // namespace domovoy::housing
