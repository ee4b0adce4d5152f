#pragma once
// Per-user account data, global and per room, each write at a stream position so that
// incremental /sync can send what changed.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "homeserver/rooms/stream_tracker.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct AccountDataItem {
  std::string room_id;  // "" for global
  std::string type;
  boost::json::object content;
  std::uint64_t stream = 0;
};

class AccountDataStore {
 public:
  AccountDataStore(storage::Database& database, StreamTracker& stream) : database_(database), stream_(stream) {}

  // `when_visible` runs once readers can see the write (used to wake long-polls).
  std::uint64_t put(const std::string& user_id, const std::string& room_id, const std::string& type,
                    const boost::json::object& content, StreamTracker::Callback when_visible = {});
  std::optional<boost::json::object> get(const std::string& user_id, const std::string& room_id,
                                         const std::string& type) const;
  // Items with after < stream <= up_to (all of them when after is 0).
  std::vector<AccountDataItem> changed(const std::string& user_id, std::uint64_t after, std::uint64_t up_to) const;

 private:
  storage::Database& database_;
  StreamTracker& stream_;
};

}  // namespace domovoy
