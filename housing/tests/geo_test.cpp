// Great-circle distances and neighbourhood groups, against values computed independently and
// against a brute-force grouping.
#include "housing/registry/geo.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace domovoy::housing {
namespace {

using Groups = std::vector<std::vector<std::size_t>>;

TEST(Distance, KnownValuesWithinOneMetre) {
  const double one_degree = std::numbers::pi * kEarthRadiusM / 180;  // 111 195.08 m
  EXPECT_NEAR(distance_m({0, 0}, {1, 0}), one_degree, 1);
  EXPECT_NEAR(distance_m({0, 0}, {0, 1}), one_degree, 1);
  EXPECT_NEAR(distance_m({0, 0}, {0, 180}), std::numbers::pi * kEarthRadiusM, 1);
  EXPECT_NEAR(distance_m({90, 0}, {-90, 0}), std::numbers::pi * kEarthRadiusM, 1);
  // Red Square to Palace Square, and Nashville to Los Angeles (the classic haversine example,
  // 2 887.26 km on a 6 372.8 km sphere, scaled to the mean radius).
  EXPECT_NEAR(distance_m({55.7539, 37.6208}, {59.9390, 30.3158}), 634459.992, 1);
  EXPECT_NEAR(distance_m({36.12, -86.67}, {33.94, -118.40}), 2886448.430, 1);
  // Across the antimeridian (Chukotka) and across the pole.
  EXPECT_NEAR(distance_m({65, 179.999}, {65, -179.999}), 93.986, 1);
  EXPECT_NEAR(distance_m({89.999, 0}, {89.999, 180}), 222.390, 1);
}

TEST(Distance, IsZeroForOnePointAndSymmetric) {
  EXPECT_EQ(distance_m({59.93861, 30.31413}, {59.93861, 30.31413}), 0);
  EXPECT_DOUBLE_EQ(distance_m({59.9, 30.3}, {55.7, 37.6}), distance_m({55.7, 37.6}, {59.9, 30.3}));
}

TEST(Distance, RefusesCoordinatesOutOfRange) {
  EXPECT_THROW(distance_m({91, 0}, {0, 0}), std::invalid_argument);
  EXPECT_THROW(distance_m({0, 0}, {0, -180.5}), std::invalid_argument);
  EXPECT_THROW(distance_m({std::numeric_limits<double>::quiet_NaN(), 0}, {0, 0}), std::invalid_argument);
}

// Points `metres` north of a start, one after another.
std::vector<GeoPoint> chain(GeoPoint start, double metres, int count) {
  std::vector<GeoPoint> points;
  for (int i = 0; i < count; ++i)
    points.push_back({start.lat + i * metres / (std::numbers::pi * kEarthRadiusM / 180), start.lon});
  return points;
}

TEST(Neighbourhoods, CloseBuildingsShareOneAndALoneBuildingHasNone) {
  std::vector<GeoPoint> points{{59.96305, 30.3054}, {59.9635, 30.3079}, {59.99, 30.40}};
  EXPECT_EQ(neighbourhood_groups(points), (Groups{{0, 1}}));
  EXPECT_EQ(neighbourhood_groups(points, 100), Groups{});
  EXPECT_EQ(neighbourhood_groups(std::vector<GeoPoint>{}), Groups{});
  EXPECT_EQ(neighbourhood_groups(std::vector<GeoPoint>{{59.9, 30.3}}), Groups{});
}

TEST(Neighbourhoods, AreConnectedComponents) {
  // A - B - C 400 m apart: A and C are 800 m apart but in one neighbourhood through B.
  auto points = chain({59.9, 30.3}, 400, 3);
  points.push_back({59.8, 30.3});
  points.push_back({59.8 + 0.001, 30.3});  // 111 m from the previous one
  EXPECT_EQ(neighbourhood_groups(points), (Groups{{0, 1, 2}, {3, 4}}));
}

TEST(Neighbourhoods, ChainAcrossACityBecomesOneGroupButSeededGroupsStaySmall) {
  auto points = chain({59.8, 30.3}, 400, 50);  // 19.6 km of buildings 400 m apart
  auto components = neighbourhood_groups(points);
  ASSERT_EQ(components.size(), 1u);
  EXPECT_EQ(components[0].size(), 50u);
  auto seeded = seeded_neighbourhood_groups(points);
  for (const auto& group : seeded)
    for (auto member : group) EXPECT_LE(distance_m(points[group.front()], points[member]), 500);
  EXPECT_GT(seeded.size(), 10u);
}

TEST(Neighbourhoods, IncludeAPairAtExactlyTheDistance) {
  std::vector<GeoPoint> points{{59.9, 30.3}, {59.9, 30.31}};
  double apart = distance_m(points[0], points[1]);
  EXPECT_EQ(neighbourhood_groups(points, apart), (Groups{{0, 1}}));
  EXPECT_EQ(seeded_neighbourhood_groups(points, apart), (Groups{{0, 1}}));
}

TEST(Neighbourhoods, JoinAcrossTheAntimeridianAndThePole) {
  std::vector<GeoPoint> chukotka{{65, 179.999}, {65, -179.999}, {65, 0}};
  EXPECT_EQ(neighbourhood_groups(chukotka), (Groups{{0, 1}}));
  std::vector<GeoPoint> pole{{89.999, 0}, {89.999, 180}, {89.999, 90}, {80, 0}};
  EXPECT_EQ(neighbourhood_groups(pole), (Groups{{0, 1, 2}}));
}

TEST(Neighbourhoods, RefuseBadDistancesAndCoordinates) {
  std::vector<GeoPoint> points{{59.9, 30.3}};
  EXPECT_THROW(neighbourhood_groups(points, 0), std::invalid_argument);
  EXPECT_THROW(neighbourhood_groups(points, -5), std::invalid_argument);
  EXPECT_THROW(neighbourhood_groups(points, std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_THROW(seeded_neighbourhood_groups(points, 0), std::invalid_argument);
  EXPECT_THROW(neighbourhood_groups(std::vector<GeoPoint>{{100, 0}}), std::invalid_argument);
}

// Breadth-first search comparing every pair: slow and obviously right.
Groups brute_force_components(const std::vector<GeoPoint>& points, double max_distance) {
  std::vector<bool> seen(points.size());
  Groups groups;
  for (std::size_t start = 0; start < points.size(); ++start) {
    if (seen[start]) continue;
    seen[start] = true;
    std::vector<std::size_t> group{start};
    for (std::size_t next = 0; next < group.size(); ++next)
      for (std::size_t j = 0; j < points.size(); ++j)
        if (!seen[j] && distance_m(points[group[next]], points[j]) <= max_distance) {
          seen[j] = true;
          group.push_back(j);
        }
    std::sort(group.begin(), group.end());
    if (group.size() > 1) groups.push_back(group);
  }
  return groups;
}

std::vector<GeoPoint> random_points(std::size_t count, GeoPoint corner, double lat_span, double lon_span,
                                    unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> lat(corner.lat, corner.lat + lat_span);
  std::uniform_real_distribution<double> lon(corner.lon, corner.lon + lon_span);
  std::vector<GeoPoint> points;
  for (std::size_t i = 0; i < count; ++i) points.push_back({lat(generator), lon(generator)});
  return points;
}

TEST(Neighbourhoods, MatchBruteForceOnRandomCities) {
  // Saint Petersburg (about 11 x 11 km), Norilsk and a strip across the antimeridian.
  for (auto [corner, spans, seed] : {std::tuple{GeoPoint{59.85, 30.2}, GeoPoint{0.1, 0.2}, 1u},
                                     std::tuple{GeoPoint{69.3, 88.1}, GeoPoint{0.05, 0.2}, 2u},
                                     std::tuple{GeoPoint{64.7, 179.9}, GeoPoint{0.05, 0.2}, 3u}}) {
    auto points = random_points(600, corner, spans.lat, spans.lon, seed);
    for (auto& point : points)
      if (point.lon > 180) point.lon -= 360;
    for (double distance : {150.0, 300.0, 500.0})
      EXPECT_EQ(neighbourhood_groups(points, distance), brute_force_components(points, distance))
          << corner.lat << " " << distance;
  }
}

// Seeds are the first member of each group and every point in no group.
std::vector<std::size_t> seeds_of(const Groups& groups, std::size_t count) {
  std::vector<bool> member(count);
  std::vector<std::size_t> seeds;
  for (const auto& group : groups)
    for (std::size_t i = 1; i < group.size(); ++i) member[group[i]] = true;
  for (std::size_t i = 0; i < count; ++i)
    if (!member[i]) seeds.push_back(i);
  return seeds;
}

TEST(SeededNeighbourhoods, EveryMemberIsNearItsSeedAndNoSeedIsNearAnother) {
  auto points = random_points(2000, {59.85, 30.2}, 0.1, 0.2, 4);
  constexpr double kRadius = 400;
  auto groups = seeded_neighbourhood_groups(points, kRadius);
  ASSERT_FALSE(groups.empty());
  for (const auto& group : groups) {
    EXPECT_TRUE(std::is_sorted(group.begin(), group.end()));
    for (auto member : group) EXPECT_LE(distance_m(points[group.front()], points[member]), kRadius);
  }
  auto seeds = seeds_of(groups, points.size());
  for (std::size_t a = 0; a < seeds.size(); ++a)
    for (std::size_t b = a + 1; b < seeds.size(); ++b)
      ASSERT_GT(distance_m(points[seeds[a]], points[seeds[b]]), kRadius) << seeds[a] << " " << seeds[b];
  // Each member joined its nearest seed.
  for (const auto& group : groups)
    for (auto member : group)
      for (auto seed : seeds)
        if (seed < member) {
          EXPECT_LE(distance_m(points[member], points[group.front()]), distance_m(points[member], points[seed]));
        }
}

TEST(SeededNeighbourhoods, AppendingPointsKeepsEarlierGroups) {
  auto points = random_points(1500, {59.85, 30.2}, 0.1, 0.2, 5);
  constexpr std::size_t kFirst = 1000;
  auto before = seeded_neighbourhood_groups(std::span(points).first(kFirst));
  auto after = seeded_neighbourhood_groups(points);
  for (const auto& old_group : before) {
    auto same = std::find_if(after.begin(), after.end(), [&](const auto& g) { return g.front() == old_group.front(); });
    ASSERT_NE(same, after.end());
    std::vector<std::size_t> earlier;
    for (auto member : *same)
      if (member < kFirst) earlier.push_back(member);
    EXPECT_EQ(earlier, old_group);
  }
}

TEST(Neighbourhoods, TenThousandBuildingsAreQuick) {
  // A region of 10 000 buildings over 30 x 30 km.
  auto points = random_points(10000, {59.8, 30.0}, 0.27, 0.54, 6);
  auto start = std::chrono::steady_clock::now();
  auto components = neighbourhood_groups(points);
  auto seeded = seeded_neighbourhood_groups(points);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("seconds", std::to_string(elapsed));
  EXPECT_FALSE(components.empty());
  EXPECT_FALSE(seeded.empty());
  // Comparing every pair twice takes seconds; the grid takes milliseconds. Loose, for shared machines.
  EXPECT_LT(elapsed, 2.0);
}

}  // namespace
}  // namespace domovoy::housing
