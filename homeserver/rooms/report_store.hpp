#pragma once
// Reports of events and rooms by users (client-server-api "Reporting content"), kept for the
// server's admins, who read them through the admin API.
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <vector>

#include "storage/database.hpp"

namespace domovoy {

struct Report {
  std::uint64_t id = 0;
  std::string room_id;
  std::string event_id;  // empty for a report of the room
  std::string user_id;   // who reported
  std::string reason;
  std::int64_t received_ts = 0;
};

class ReportStore {
 public:
  explicit ReportStore(storage::Database& database);
  std::uint64_t add(Report report);
  std::vector<Report> list(std::uint64_t after, std::size_t limit) const;

 private:
  storage::Database& database_;
  std::atomic<std::uint64_t> last_id_{0};
};

}  // namespace domovoy
