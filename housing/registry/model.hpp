#pragma once
// The address registry of one region: region -> buildings -> apartments, with the owners and
// meters of each apartment, as read from a registry file (registry_parser.hpp). Owner names and
// account numbers are personal data: keep them on this server and out of rooms and federation.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "housing/registry/decimal.hpp"
#include "housing/registry/geo.hpp"
#include "housing/registry/rational.hpp"

namespace domovoy::housing {

inline constexpr std::string_view kRegistryFormat = "domovoy-registry/1";

enum class MeterType { cold, hot, power_day, power_night, heat, gas };

// The file's spelling: "cold", "hot", "power_day", "power_night", "heat", "gas".
std::string_view to_string(MeterType type);
std::optional<MeterType> meter_type_from_string(std::string_view name);

struct Owner {
  std::string name;
  Rational share;  // in (0, 1]; the shares of an apartment add up to exactly 1

  friend bool operator==(const Owner&, const Owner&) = default;
};

struct Meter {
  MeterType type = MeterType::cold;
  std::string serial;
  std::chrono::year_month_day verified_until;  // calibration due date
  std::optional<Decimal> reading;              // the last reading known at import, exactly as written

  friend bool operator==(const Meter&, const Meter&) = default;
};

struct Apartment {
  std::string number;  // "1", "12А", "1-Н": unique within its building
  int entrance = 0;    // one of the building's entrances
  std::optional<int> floor;
  std::int64_t area_hundredths = 0;    // floor area in 1/100 m²: "54.30" is 5430
  std::optional<std::string> account;  // personal account (лицевой счёт), unique in the file
  std::vector<Owner> owners;
  std::vector<Meter> meters;

  friend bool operator==(const Apartment&, const Apartment&) = default;
};

struct Building {
  std::string id;    // FIAS/GAR object GUID, lower case
  std::string slug;  // [a-z0-9-]{1,40}, unique in the region: room aliases are built from it
  std::string address;
  GeoPoint location;
  std::string management_company;    // a ManagementCompany id
  std::optional<std::string> chair;  // council chair's Matrix user id
  std::vector<int> entrances;        // distinct positive numbers, in file order
  std::vector<Apartment> apartments;

  const Apartment* find_apartment(std::string_view number) const;

  friend bool operator==(const Building&, const Building&) = default;
};

struct ManagementCompany {
  std::string id;  // [a-z0-9-]{1,40}
  std::string name;
  std::vector<std::string> staff;  // Matrix user ids

  friend bool operator==(const ManagementCompany&, const ManagementCompany&) = default;
};

struct Inspectorate {
  std::string name;
  std::vector<std::string> staff;  // Matrix user ids: moderators in every building of the region

  friend bool operator==(const Inspectorate&, const Inspectorate&) = default;
};

struct Region {
  std::string code;  // "78"
  std::string name;
  Inspectorate inspectorate;

  friend bool operator==(const Region&, const Region&) = default;
};

struct Registry {
  Region region;
  std::vector<ManagementCompany> management_companies;
  std::vector<Building> buildings;

  const Building* find_building(std::string_view id) const;  // by GUID, any letter case
  const Building* find_building_by_slug(std::string_view slug) const;
  const ManagementCompany* find_management_company(std::string_view id) const;

  friend bool operator==(const Registry&, const Registry&) = default;
};

// The vote weight of an owner in an owners' general meeting: the area they own, in 1/100 m²
// (ЖК РФ ст. 48 ч. 3). Exact; throws std::overflow_error only far beyond any real building.
Rational weight(std::int64_t area_hundredths, const Rational& share);

}  // namespace domovoy::housing
