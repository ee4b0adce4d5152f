// The model written back in the file format reads back equal.
#include "housing/registry/registry_writer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "housing/registry/registry_parser.hpp"

namespace domovoy::housing {
namespace {

Registry demo_region() {
  std::ifstream file(std::string(DOMOVOY_HOUSING_SAMPLES_DIR) + "/demo-region.json", std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return parse_registry(text.str());
}

TEST(RegistryWriter, RegistryReadsBackEqual) {
  auto registry = demo_region();
  auto written = registry_to_json(registry);
  EXPECT_EQ(registry_from_json(written), registry);
  // And through text, as stored.
  EXPECT_EQ(parse_registry(json::serialize(written)), registry);
}

TEST(RegistryWriter, BuildingReadsBackEqual) {
  auto registry = demo_region();
  for (const auto& building : registry.buildings)
    EXPECT_EQ(building_from_json(building_to_json(building), {building.management_company}), building);
}

TEST(RegistryWriter, WritesTheFileSpellings) {
  auto registry = parse_registry(R"({"format": "domovoy-registry/1",
    "region": {"code": "78", "name": "Санкт-Петербург", "inspectorate": {"name": "ГЖИ"}},
    "management_companies": [{"id": "uk", "name": "УК"}],
    "buildings": [{"id": "0C5B2444-70A0-4932-980C-B4DC0D3F02B5", "slug": "b", "address": "ул. Ленина, д. 5",
      "lat": 59.93861, "lon": 30.31413, "management_company": "uk", "entrances": [1],
      "apartments": [{"number": "1", "entrance": 1, "area": "54,3",
        "owners": [{"name": "А", "share": "2/6"}, {"name": "Б", "share": "4/6"}],
        "meters": [{"type": "power_night", "serial": "1", "verified_until": "2029-05-01", "reading": "00123,450"}]}]}]})");
  auto building = building_to_json(registry.buildings[0]);
  EXPECT_EQ(building.at("id"), "0c5b2444-70a0-4932-980c-b4dc0d3f02b5");
  EXPECT_FALSE(building.contains("chair"));
  const auto& apartment = building.at("apartments").at(0).as_object();
  EXPECT_EQ(apartment.at("area"), "54.30");
  EXPECT_FALSE(apartment.contains("floor"));
  EXPECT_EQ(apartment.at("owners").at(0).at("share"), "1/3");
  const auto& meter = apartment.at("meters").at(0).as_object();
  EXPECT_EQ(meter.at("type"), "power_night");
  EXPECT_EQ(meter.at("verified_until"), "2029-05-01");
  EXPECT_EQ(meter.at("reading"), "123.450");
  EXPECT_EQ(registry_to_json(registry).at("format"), "domovoy-registry/1");
}

}  // namespace
}  // namespace domovoy::housing
