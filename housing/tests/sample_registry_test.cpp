// The demo region shipped in housing/samples is a valid registry with what the demo needs.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "homeserver/core/identifiers.hpp"
#include "housing/registry/geo.hpp"
#include "housing/registry/registry_parser.hpp"

namespace domovoy::housing {
namespace {

std::string read_sample(const std::string& name) {
  std::ifstream file(std::string(DOMOVOY_HOUSING_SAMPLES_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file) << name;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

class DemoRegion : public ::testing::Test {
 protected:
  Registry registry = parse_registry(read_sample("demo-region.json"));
};

TEST_F(DemoRegion, HasARegionAnInspectorateAndOneCompany) {
  EXPECT_EQ(registry.region.code, "78");
  EXPECT_FALSE(registry.region.inspectorate.staff.empty());
  EXPECT_LE(registry.region.inspectorate.staff.size(), 2u);
  ASSERT_EQ(registry.management_companies.size(), 1u);
  EXPECT_EQ(registry.management_companies[0].staff.size(), 2u);
}

TEST_F(DemoRegion, HasTwoNearbyBuildingsWithThreeEntrancesAndSixtyApartments) {
  ASSERT_EQ(registry.buildings.size(), 2u);
  std::size_t entrances = 0;
  std::size_t apartments = 0;
  for (const auto& building : registry.buildings) {
    entrances += building.entrances.size();
    apartments += building.apartments.size();
    EXPECT_TRUE(building.chair) << building.slug;
    EXPECT_EQ(building.management_company, registry.management_companies[0].id);
  }
  EXPECT_EQ(entrances, 3u);
  EXPECT_EQ(apartments, 60u);
  double apart = distance_m(registry.buildings[0].location, registry.buildings[1].location);
  EXPECT_GE(apart, 100);
  EXPECT_LE(apart, 200);
  std::vector<GeoPoint> points{registry.buildings[0].location, registry.buildings[1].location};
  EXPECT_EQ(neighbourhood_groups(points), (std::vector<std::vector<std::size_t>>{{0, 1}}));
}

TEST_F(DemoRegion, ApartmentsHaveFloorsAccountsOwnersAndMeters) {
  std::set<std::string> share_patterns;
  for (const auto& building : registry.buildings)
    for (const auto& apartment : building.apartments) {
      EXPECT_TRUE(apartment.floor) << building.slug << " " << apartment.number;
      ASSERT_TRUE(apartment.account);
      EXPECT_EQ(apartment.account->size(), 12u);
      EXPECT_EQ(apartment.account->find_first_not_of("0123456789"), std::string::npos);
      EXPECT_GE(apartment.meters.size(), 1u);
      EXPECT_LE(apartment.meters.size(), 3u);
      std::string pattern;
      for (const auto& owner : apartment.owners) pattern += (pattern.empty() ? "" : "+") + owner.share.to_string();
      share_patterns.insert(pattern);
    }
  for (const char* expected : {"1", "1/2+1/2", "1/3+2/3", "1/3+1/3+1/3"})
    EXPECT_TRUE(share_patterns.contains(expected)) << expected;
}

TEST_F(DemoRegion, UsersAreOnLocalhost) {
  std::vector<std::string> users = registry.region.inspectorate.staff;
  for (const auto& company : registry.management_companies)
    users.insert(users.end(), company.staff.begin(), company.staff.end());
  for (const auto& building : registry.buildings) users.push_back(*building.chair);
  for (const auto& user : users) EXPECT_EQ(server_name_of(user), "localhost") << user;
}

TEST_F(DemoRegion, VoteWeightsAddUpToTheFloorArea) {
  for (const auto& building : registry.buildings) {
    Rational votes;
    std::int64_t area = 0;
    for (const auto& apartment : building.apartments) {
      area += apartment.area_hundredths;
      for (const auto& owner : apartment.owners) votes += weight(apartment.area_hundredths, owner.share);
    }
    EXPECT_EQ(votes, Rational(area)) << building.slug;
  }
}

}  // namespace
}  // namespace domovoy::housing
