#include "housing/registry/registry_parser.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "housing/registry/iso_date.hpp"
#include "housing/registry/json_reader.hpp"
#include "housing/registry/registry_ids.hpp"

namespace domovoy::housing {

namespace {
// Bounds a real registry never reaches; they keep sums far from overflow and messages short.
constexpr std::size_t kMaxNameBytes = 300;
constexpr std::size_t kMaxAddressBytes = 500;
constexpr std::size_t kMaxApartmentNumberBytes = 32;
constexpr std::size_t kMaxAccountBytes = 32;
constexpr std::size_t kMaxSerialBytes = 64;
constexpr int kMaxEntrance = 1000;
constexpr int kMinFloor = -10;
constexpr int kMaxFloor = 200;
constexpr std::int64_t kMaxAreaHundredths = 10'000'000;  // 100 000 m²
constexpr int kMaxReadingScale = 6;

// Where each value that must be unique was first seen: value -> its path.
using FirstSeen = std::map<std::string, std::string, std::less<>>;

void check_unique(FirstSeen& seen, const std::string& value, const std::string& path) {
  auto [first, inserted] = seen.emplace(value, path);
  if (!inserted) fail_invalid(path, "repeats " + first->second);
}

// A value quoted in a message, cut short (at a UTF-8 boundary) if long.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 60;
  if (text.size() <= kMaxShown) return "\"" + std::string(text) + "\"";
  std::size_t cut = kMaxShown;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(text.substr(0, cut)) + "…\"";
}

void check_text(const std::string& text, const std::string& path, std::size_t max_bytes) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return c == ' '; })) fail_invalid(path, "must not be empty");
  if (text.size() > max_bytes) fail_invalid(path, "longer than " + std::to_string(max_bytes) + " bytes");
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    fail_invalid(path, "contains control characters");
}

std::string text_field(const ObjectReader& object, std::string_view key, std::size_t max_bytes) {
  auto text = object.required_string(key);
  check_text(text, object.path_of(key), max_bytes);
  return text;
}

std::string user_id_at(const json::value& value, const std::string& path) {
  auto user_id = string_at(value, path);
  if (!is_valid_user_id(user_id)) fail_invalid(path, quoted(user_id) + " is not a Matrix user id (@localpart:server)");
  return user_id;
}

std::vector<std::string> staff_field(const ObjectReader& object) {
  std::vector<std::string> staff;
  const auto* list = object.optional_array("staff");
  if (!list) return staff;
  for (std::size_t i = 0; i < list->size(); ++i)
    staff.push_back(user_id_at((*list)[i], element_path(object.path_of("staff"), i)));
  return staff;
}

// Areas and readings are strings: a JSON number would reach us through floating point.
std::string string_not_number_at(const json::value& value, const std::string& path, std::string_view example) {
  if (value.is_number()) fail_bad_json(path, "must be a string such as \"" + std::string(example) + "\", not a number");
  return string_at(value, path);
}

Region region_from_json(const json::value& value) {
  ObjectReader object(value, "region");
  object.allow_only({"code", "name", "inspectorate"});
  Region region;
  region.code = object.required_string("code");
  if (region.code.size() != 2 ||
      !std::all_of(region.code.begin(), region.code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    fail_invalid(object.path_of("code"), "must be the region's two-digit code, such as \"78\"");
  region.name = text_field(object, "name", kMaxNameBytes);
  ObjectReader inspectorate(object.required("inspectorate"), object.path_of("inspectorate"));
  inspectorate.allow_only({"name", "staff"});
  region.inspectorate.name = text_field(inspectorate, "name", kMaxNameBytes);
  region.inspectorate.staff = staff_field(inspectorate);
  return region;
}

ManagementCompany company_from_json(const json::value& value, const std::string& path) {
  ObjectReader object(value, path);
  object.allow_only({"id", "name", "staff"});
  ManagementCompany company;
  company.id = object.required_string("id");
  if (!is_valid_slug(company.id)) fail_invalid(object.path_of("id"), "must be 1 to 40 of a-z, 0-9 and '-'");
  company.name = text_field(object, "name", kMaxNameBytes);
  company.staff = staff_field(object);
  return company;
}

Owner owner_from_json(const json::value& value, const std::string& path) {
  ObjectReader object(value, path);
  object.allow_only({"name", "share"});
  Owner owner;
  owner.name = text_field(object, "name", kMaxNameBytes);
  auto share_path = object.path_of("share");
  auto share = parse_fraction(string_not_number_at(object.required("share"), share_path, "1/2"));
  if (!share) fail_invalid(share_path, "must be a fraction such as \"1/2\", or \"1\"");
  if (*share <= Rational(0)) fail_invalid(share_path, "must be more than 0");
  if (*share > Rational(1)) fail_invalid(share_path, "must be at most 1");
  owner.share = *share;
  return owner;
}

std::vector<Owner> owners_from_json(const ObjectReader& apartment) {
  auto path = apartment.path_of("owners");
  const auto& list = apartment.required_array("owners");
  if (list.empty()) fail_invalid(path, "lists no owner, so the shares cannot sum to 1");
  std::vector<Owner> owners;
  Rational sum;
  for (std::size_t i = 0; i < list.size(); ++i) {
    owners.push_back(owner_from_json(list[i], element_path(path, i)));
    try {
      sum += owners.back().share;
    } catch (const std::overflow_error&) {
      fail_invalid(path, "shares too fine to add up exactly");
    }
  }
  if (sum != Rational(1)) fail_invalid(path, "shares sum to " + sum.to_string() + ", not 1");
  return owners;
}

Meter meter_from_json(const json::value& value, const std::string& path) {
  ObjectReader object(value, path);
  object.allow_only({"type", "serial", "verified_until", "reading"});
  Meter meter;
  auto type_name = object.required_string("type");
  auto type = meter_type_from_string(type_name);
  if (!type)
    fail_invalid(object.path_of("type"),
                 "unknown meter type " + quoted(type_name) + "; known: cold, hot, power_day, power_night, heat, gas");
  meter.type = *type;
  meter.serial = text_field(object, "serial", kMaxSerialBytes);
  auto date = parse_iso_date(object.required_string("verified_until"));
  if (!date) fail_invalid(object.path_of("verified_until"), "must be a date written YYYY-MM-DD");
  meter.verified_until = *date;
  if (const auto* reading = object.optional("reading")) {
    auto reading_path = object.path_of("reading");
    meter.reading = parse_decimal(string_not_number_at(*reading, reading_path, "123.456"), kMaxReadingScale);
    if (!meter.reading)
      fail_invalid(reading_path, "must be a reading such as \"123.456\" or \"123,456\", at most " +
                                     std::to_string(kMaxReadingScale) + " decimals");
  }
  return meter;
}

std::string entrance_list(const std::vector<int>& entrances) {
  std::string list;
  for (int entrance : entrances) list += (list.empty() ? "" : ", ") + std::to_string(entrance);
  return list;
}

Apartment apartment_from_json(const json::value& value, const std::string& path, const std::vector<int>& entrances,
                              FirstSeen& accounts) {
  ObjectReader object(value, path);
  object.allow_only({"number", "entrance", "floor", "area", "account", "owners", "meters"});
  Apartment apartment;
  apartment.number = text_field(object, "number", kMaxApartmentNumberBytes);

  apartment.entrance = int_at(object.required("entrance"), object.path_of("entrance"));
  if (std::find(entrances.begin(), entrances.end(), apartment.entrance) == entrances.end())
    fail_invalid(object.path_of("entrance"), "entrance " + std::to_string(apartment.entrance) +
                                                 " is not one of the building's entrances (" +
                                                 entrance_list(entrances) + ")");

  apartment.floor = object.optional_int("floor");
  if (apartment.floor && (*apartment.floor < kMinFloor || *apartment.floor > kMaxFloor))
    fail_invalid(object.path_of("floor"),
                 "must be from " + std::to_string(kMinFloor) + " to " + std::to_string(kMaxFloor));

  auto area_path = object.path_of("area");
  auto area = parse_area_hundredths(string_not_number_at(object.required("area"), area_path, "54.30"));
  if (!area) fail_invalid(area_path, "must be an area in m² with at most two decimals, such as \"54.30\" or \"54,3\"");
  if (*area == 0) fail_invalid(area_path, "must be more than 0");
  if (*area > kMaxAreaHundredths)
    fail_invalid(area_path, "must be at most " + format_area_hundredths(kMaxAreaHundredths));
  apartment.area_hundredths = *area;

  if (object.optional("account")) {
    apartment.account = object.required_string("account");
    check_text(*apartment.account, object.path_of("account"), kMaxAccountBytes);
    // The number itself stays out of the message: it is personal data.
    check_unique(accounts, *apartment.account, object.path_of("account"));
  }

  apartment.owners = owners_from_json(object);

  if (const auto* meters = object.optional_array("meters")) {
    // A two-tariff electricity meter is one serial with a power_day and a power_night register,
    // so it is the pair that must not repeat.
    FirstSeen registers;
    for (std::size_t i = 0; i < meters->size(); ++i) {
      auto meter_path = element_path(object.path_of("meters"), i);
      const auto& meter = apartment.meters.emplace_back(meter_from_json((*meters)[i], meter_path));
      check_unique(registers, std::string(to_string(meter.type)) + " " + meter.serial, meter_path);
    }
  }
  return apartment;
}

std::vector<int> entrances_from_json(const ObjectReader& building) {
  auto path = building.path_of("entrances");
  const auto& list = building.required_array("entrances");
  if (list.empty()) fail_invalid(path, "must list at least one entrance");
  std::vector<int> entrances;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto entrance_path = element_path(path, i);
    int entrance = int_at(list[i], entrance_path);
    if (entrance < 1 || entrance > kMaxEntrance)
      fail_invalid(entrance_path, "must be from 1 to " + std::to_string(kMaxEntrance));
    if (std::find(entrances.begin(), entrances.end(), entrance) != entrances.end())
      fail_invalid(entrance_path, "entrance " + std::to_string(entrance) + " is listed twice");
    entrances.push_back(entrance);
  }
  return entrances;
}

double coordinate_field(const ObjectReader& building, std::string_view key, double limit) {
  double value = building.required_number(key);
  if (!(value >= -limit && value <= limit))
    fail_invalid(building.path_of(key), "must be from " + std::to_string(static_cast<int>(-limit)) + " to " +
                                            std::to_string(static_cast<int>(limit)) + " degrees");
  return value;
}

Building parse_building(const json::value& value, const CompanyIds& companies, const std::string& path,
                        FirstSeen& accounts) {
  ObjectReader object(value, path);
  object.allow_only({"id", "slug", "address", "lat", "lon", "management_company", "chair", "entrances", "apartments"});
  Building building;
  auto id = normalise_building_id(object.required_string("id"));
  if (!id) fail_invalid(object.path_of("id"), "must be a FIAS/GAR GUID, 8-4-4-4-12 hex digits");
  building.id = *id;
  building.slug = object.required_string("slug");
  if (!is_valid_slug(building.slug)) fail_invalid(object.path_of("slug"), "must be 1 to 40 of a-z, 0-9 and '-'");
  building.address = text_field(object, "address", kMaxAddressBytes);
  building.location.lat = coordinate_field(object, "lat", 90);
  building.location.lon = coordinate_field(object, "lon", 180);

  building.management_company = object.required_string("management_company");
  if (!companies.contains(building.management_company))
    fail_invalid(object.path_of("management_company"),
                 quoted(building.management_company) + " is not a known management company");

  if (const auto* chair = object.optional("chair")) building.chair = user_id_at(*chair, object.path_of("chair"));
  building.entrances = entrances_from_json(object);

  auto apartments_path = object.path_of("apartments");
  const auto& apartments = object.required_array("apartments");
  FirstSeen numbers;
  for (std::size_t i = 0; i < apartments.size(); ++i) {
    auto apartment_path = element_path(apartments_path, i);
    building.apartments.push_back(apartment_from_json(apartments[i], apartment_path, building.entrances, accounts));
    check_unique(numbers, building.apartments.back().number, apartment_path + ".number");
  }
  return building;
}
}  // namespace

Building building_from_json(const json::value& value, const CompanyIds& management_companies, const std::string& path) {
  FirstSeen accounts;
  return parse_building(value, management_companies, path, accounts);
}

Registry registry_from_json(const json::value& document, const RegistryParseOptions& options) {
  ObjectReader root(document, "");
  // The format first: a later format may well have keys this one does not know.
  auto format = root.required_string("format");
  if (format != kRegistryFormat)
    fail_invalid("format",
                 "unknown format " + quoted(format) + "; this server reads \"" + std::string(kRegistryFormat) + "\"");
  root.allow_only({"format", "region", "management_companies", "buildings"});

  Registry registry;
  registry.region = region_from_json(root.required("region"));

  CompanyIds companies = options.known_management_companies;
  FirstSeen company_ids;
  const auto& company_list = root.required_array("management_companies");
  for (std::size_t i = 0; i < company_list.size(); ++i) {
    auto path = element_path("management_companies", i);
    registry.management_companies.push_back(company_from_json(company_list[i], path));
    check_unique(company_ids, registry.management_companies.back().id, path + ".id");
    companies.insert(registry.management_companies.back().id);
  }

  FirstSeen building_ids;
  FirstSeen slugs;
  FirstSeen accounts;
  const auto& building_list = root.required_array("buildings");
  for (std::size_t i = 0; i < building_list.size(); ++i) {
    auto path = element_path("buildings", i);
    registry.buildings.push_back(parse_building(building_list[i], companies, path, accounts));
    check_unique(building_ids, registry.buildings.back().id, path + ".id");
    check_unique(slugs, registry.buildings.back().slug, path + ".slug");
  }
  return registry;
}

Registry parse_registry(std::string_view text, const RegistryParseOptions& options) {
  json::value document;
  try {
    document = parse_untrusted_json(text);
  } catch (const ApiError& error) {
    // The core parser's M_BAD_JSON (a number such as 1e400, infinite as a double) names no
    // value: the message still starts with a path, the document's.
    if (error.errcode() == "M_BAD_JSON") fail_bad_json("", error.what());
    throw;
  }
  return registry_from_json(document, options);
}

}  // namespace domovoy::housing
