#pragma once
// Distances between buildings and the neighbourhoods they form: buildings close to each other
// share one neighbourhood room.
#include <cstddef>
#include <span>
#include <vector>

namespace domovoy::housing {

struct GeoPoint {
  double lat = 0;  // degrees, [-90, 90]
  double lon = 0;  // degrees, [-180, 180]

  friend bool operator==(const GeoPoint&, const GeoPoint&) = default;
};

// Mean Earth radius (IUGG), the sphere the haversine formula works on; within 0.5% of the
// ellipsoid, which is far below what "nearby" needs.
inline constexpr double kEarthRadiusM = 6371008.8;
inline constexpr double kDefaultNeighbourhoodDistanceM = 500;

// Great-circle distance in metres (haversine). Throws std::invalid_argument for a coordinate out
// of range or not a number.
double distance_m(GeoPoint a, GeoPoint b);

// The neighbourhoods of `points`: connected components of the graph linking every two points at
// most `max_distance_m` apart, so A-B-C is one neighbourhood when A-B and B-C are close even if
// A and C are not. A point with no neighbour belongs to none. Each group lists indices into
// `points` in ascending order; groups are ordered by their first index.
//
// Mind the chaining: in a dense city every building may be within reach of the next, and the
// whole city becomes one group. seeded_neighbourhood_groups bounds a group's extent instead.
//
// Points are bucketed into cells at least max_distance_m wide, so only points in adjacent cells
// are compared: about n log n for a city, n^2 only when everything lies within one cell.
// Throws std::invalid_argument for a bad coordinate or a distance that is not positive.
std::vector<std::vector<std::size_t>> neighbourhood_groups(std::span<const GeoPoint> points,
                                                           double max_distance_m = kDefaultNeighbourhoodDistanceM);

// Neighbourhoods of bounded extent: points are taken in order; each joins the group of the
// nearest earlier seed at most `radius_m` away, or else becomes a seed itself. Every member is
// within radius_m of its seed, so a group spans at most 2 * radius_m however dense the city.
// Appending points never moves an earlier point to another group (a lone seed may gain
// members and so become a group), so feeding buildings in import order keeps the existing
// neighbourhoods when new buildings arrive. Same output form and errors as above.
std::vector<std::vector<std::size_t>> seeded_neighbourhood_groups(std::span<const GeoPoint> points,
                                                                  double radius_m = kDefaultNeighbourhoodDistanceM);

}  // namespace domovoy::housing
