#include "housing/registry/geo.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace domovoy::housing {

namespace {
constexpr double kDegreesPerRadian = 180 / std::numbers::pi;

double radians(double degrees) { return degrees / kDegreesPerRadian; }

void check_point(GeoPoint point) {
  // Written so that NaN fails too.
  if (!(point.lat >= -90 && point.lat <= 90) || !(point.lon >= -180 && point.lon <= 180))
    throw std::invalid_argument("coordinates out of range");
}

void check_points(std::span<const GeoPoint> points) {
  for (const auto& point : points) check_point(point);
}

void check_distance(double distance_m) {
  if (!(distance_m > 0) || !std::isfinite(distance_m)) throw std::invalid_argument("distance must be positive");
}

double unchecked_distance_m(GeoPoint a, GeoPoint b) {
  double half_dlat = radians(b.lat - a.lat) / 2;
  double half_dlon = radians(b.lon - a.lon) / 2;
  double h = std::sin(half_dlat) * std::sin(half_dlat) +
             std::cos(radians(a.lat)) * std::cos(radians(b.lat)) * std::sin(half_dlon) * std::sin(half_dlon);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

struct Cell {
  std::int64_t row = 0;
  std::int64_t column = 0;
  friend bool operator==(const Cell&, const Cell&) = default;
};

struct CellHash {
  std::size_t operator()(const Cell& cell) const {
    return std::hash<std::int64_t>{}(cell.row) * 1000003u ^ std::hash<std::int64_t>{}(cell.column);
  }
};

// Latitude/longitude cells sized so that two points at most `distance_m` apart always lie in
// the same or adjacent cells (columns wrap at the antimeridian).
class Grid {
 public:
  Grid(std::span<const GeoPoint> points, double distance_m) {
    double angle = std::min(distance_m / kEarthRadiusM, std::numbers::pi);
    // Rounding must not push a pair at exactly the distance two cells apart; clamping the cell
    // count only widens cells, which stays correct.
    constexpr double kSlack = 1 + 1e-9;
    constexpr double kMaxCells = 1LL << 40;
    // A latitude difference is never more than the arc itself.
    cell_lat_ = std::max(angle * kDegreesPerRadian * kSlack, 180 / kMaxCells);
    // Haversine: sin²(d/2) >= cos(lat1) cos(lat2) sin²(dlon/2) >= cos²(max |lat|) sin²(dlon/2),
    // which bounds the longitude difference of a close pair anywhere in this set of points.
    double max_abs_lat = 0;
    for (const auto& point : points) max_abs_lat = std::max(max_abs_lat, std::abs(point.lat));
    double bound = std::sin(angle / 2) / std::cos(radians(max_abs_lat));
    double max_dlon = bound >= 1 ? 180 : 2 * std::asin(bound) * kDegreesPerRadian * kSlack;
    columns_ = static_cast<std::int64_t>(std::clamp(std::floor(360 / max_dlon), 1.0, kMaxCells));
    cell_lon_ = 360 / static_cast<double>(columns_);
  }

  Cell cell_of(GeoPoint point) const {
    auto row = static_cast<std::int64_t>(std::floor((point.lat + 90) / cell_lat_));
    auto column = static_cast<std::int64_t>(std::floor((point.lon + 180) / cell_lon_)) % columns_;
    return {row, column};
  }

  // The cell and its neighbours, each once even when few columns wrap onto each other.
  std::vector<Cell> around(Cell cell) const {
    std::vector<Cell> cells;
    cells.reserve(9);
    for (std::int64_t row = cell.row - 1; row <= cell.row + 1; ++row)
      for (std::int64_t step = -1; step <= 1; ++step) {
        Cell next{row, (cell.column + step + columns_) % columns_};
        if (std::find(cells.begin(), cells.end(), next) == cells.end()) cells.push_back(next);
      }
    return cells;
  }

 private:
  double cell_lat_ = 180;
  double cell_lon_ = 360;
  std::int64_t columns_ = 1;
};

using CellMembers = std::unordered_map<Cell, std::vector<std::size_t>, CellHash>;

class DisjointSets {
 public:
  explicit DisjointSets(std::size_t count) : parent_(count), size_(count, 1) {
    std::iota(parent_.begin(), parent_.end(), std::size_t{0});
  }
  std::size_t find(std::size_t item) {
    while (parent_[item] != item) item = parent_[item] = parent_[parent_[item]];
    return item;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
  }

 private:
  std::vector<std::size_t> parent_;
  std::vector<std::size_t> size_;
};

// Groups of two or more, in the order of their first member; `group_of[i]` names i's group.
std::vector<std::vector<std::size_t>> collect_groups(const std::vector<std::size_t>& group_of) {
  std::unordered_map<std::size_t, std::vector<std::size_t>> members;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < group_of.size(); ++i) {
    auto& group = members[group_of[i]];
    if (group.empty()) order.push_back(group_of[i]);
    group.push_back(i);
  }
  std::vector<std::vector<std::size_t>> groups;
  for (auto key : order)
    if (members[key].size() > 1) groups.push_back(std::move(members[key]));
  return groups;
}
}  // namespace

double distance_m(GeoPoint a, GeoPoint b) {
  check_point(a);
  check_point(b);
  return unchecked_distance_m(a, b);
}

std::vector<std::vector<std::size_t>> neighbourhood_groups(std::span<const GeoPoint> points, double max_distance_m) {
  check_points(points);
  check_distance(max_distance_m);
  Grid grid(points, max_distance_m);
  CellMembers cells;
  for (std::size_t i = 0; i < points.size(); ++i) cells[grid.cell_of(points[i])].push_back(i);

  DisjointSets sets(points.size());
  for (std::size_t i = 0; i < points.size(); ++i)
    for (const auto& cell : grid.around(grid.cell_of(points[i]))) {
      auto found = cells.find(cell);
      if (found == cells.end()) continue;
      for (auto j : found->second)
        if (j > i && unchecked_distance_m(points[i], points[j]) <= max_distance_m) sets.unite(i, j);
    }

  std::vector<std::size_t> group_of(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) group_of[i] = sets.find(i);
  return collect_groups(group_of);
}

std::vector<std::vector<std::size_t>> seeded_neighbourhood_groups(std::span<const GeoPoint> points, double radius_m) {
  check_points(points);
  check_distance(radius_m);
  Grid grid(points, radius_m);
  CellMembers seeds;
  std::vector<std::size_t> seed_of(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto cell = grid.cell_of(points[i]);
    std::size_t nearest = i;
    double nearest_distance = radius_m;
    for (const auto& near : grid.around(cell)) {
      auto found = seeds.find(near);
      if (found == seeds.end()) continue;
      for (auto seed : found->second) {
        double distance = unchecked_distance_m(points[i], points[seed]);
        // Ties go to the earlier seed, so the result depends on the order of points only.
        if (distance < nearest_distance || (distance == nearest_distance && seed < nearest)) {
          nearest = seed;
          nearest_distance = distance;
        }
      }
    }
    seed_of[i] = nearest;
    if (nearest == i) seeds[cell].push_back(i);
  }
  return collect_groups(seed_of);
}

}  // namespace domovoy::housing
