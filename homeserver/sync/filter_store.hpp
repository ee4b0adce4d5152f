#pragma once
// Uploaded /sync filters (filter.yaml): the one owner of userfilter_filter. Ids are per user,
// counting up from 0, and two uploads at once never get the same id.
#include <boost/json/object.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace domovoy {

namespace storage {
class Database;
}

class FilterStore {
 public:
  explicit FilterStore(storage::Database& database) : database_(database) {}

  std::uint64_t add(const std::string& user_id, const boost::json::object& filter);
  std::optional<boost::json::object> get(const std::string& user_id, std::uint64_t filter_id) const;

 private:
  storage::Database& database_;
  std::mutex allocation_mutex_;
};

}  // namespace domovoy
