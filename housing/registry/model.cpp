#include "housing/registry/model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace domovoy::housing {

namespace {
constexpr std::array<std::pair<MeterType, std::string_view>, 6> kMeterTypeNames{{
    {MeterType::cold, "cold"},
    {MeterType::hot, "hot"},
    {MeterType::power_day, "power_day"},
    {MeterType::power_night, "power_night"},
    {MeterType::heat, "heat"},
    {MeterType::gas, "gas"},
}};

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

template <typename Item, typename Matches>
const Item* find_in(const std::vector<Item>& items, Matches matches) {
  auto found = std::find_if(items.begin(), items.end(), matches);
  return found == items.end() ? nullptr : &*found;
}
}  // namespace

std::string_view to_string(MeterType type) {
  for (const auto& [known, name] : kMeterTypeNames)
    if (known == type) return name;
  return "unknown";
}

std::optional<MeterType> meter_type_from_string(std::string_view name) {
  for (const auto& [type, known] : kMeterTypeNames)
    if (known == name) return type;
  return std::nullopt;
}

const Apartment* Building::find_apartment(std::string_view number) const {
  return find_in(apartments, [&](const Apartment& apartment) { return apartment.number == number; });
}

const Building* Registry::find_building(std::string_view id) const {
  return find_in(buildings, [&](const Building& building) { return equal_ignoring_ascii_case(building.id, id); });
}

const Building* Registry::find_building_by_slug(std::string_view slug) const {
  return find_in(buildings, [&](const Building& building) { return building.slug == slug; });
}

const ManagementCompany* Registry::find_management_company(std::string_view id) const {
  return find_in(management_companies, [&](const ManagementCompany& company) { return company.id == id; });
}

Rational weight(std::int64_t area_hundredths, const Rational& share) { return Rational(area_hundredths) * share; }

}  // namespace domovoy::housing
