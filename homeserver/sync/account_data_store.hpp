#pragma once
// Per-user account data, global and per room, each write at a stream position so that
// incremental /sync can send what changed. An index by (user, stream position) makes "what
// changed since N" cost what changed; each user's entries are bounded in number and size, since
// every initial sync sends them all.
#include <boost/json/object.hpp>

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "homeserver/rooms/stream_tracker.hpp"
#include "homeserver/sync/latest_positions.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct AccountDataItem {
  std::string room_id;  // "" for global
  std::string type;
  boost::json::object content;
  std::uint64_t stream = 0;
};

struct AccountDataLimits {
  std::size_t max_entries = 10000;         // per user, global and per room together
  std::size_t max_total_bytes = 8u << 20;  // per user, of the stored content
};

class AccountDataStore {
 public:
  // Builds the stream index the first time it opens a database written without one.
  AccountDataStore(storage::Database& database, StreamTracker& stream, AccountDataLimits limits = {});

  // `when_visible` runs once readers can see the write (used to wake long-polls). Throws
  // ApiError 400 M_TOO_LARGE when the write would pass the user's limits.
  std::uint64_t put(const std::string& user_id, const std::string& room_id, const std::string& type,
                    const boost::json::object& content, StreamTracker::Callback when_visible = {});
  std::optional<boost::json::object> get(const std::string& user_id, const std::string& room_id,
                                         const std::string& type) const;
  // Items with after < stream <= up_to (all of them when after is 0).
  std::vector<AccountDataItem> changed(const std::string& user_id, std::uint64_t after, std::uint64_t up_to) const;
  // Every item of one room (for a room the user has just joined).
  std::vector<AccountDataItem> of_room(const std::string& user_id, const std::string& room_id,
                                       std::uint64_t up_to) const;

 private:
  void build_stream_index();
  std::uint64_t latest(const std::string& user_id) const;
  std::optional<AccountDataItem> read_item(const std::string& user_id, std::string_view room_and_type) const;

  storage::Database& database_;
  StreamTracker& stream_;
  AccountDataLimits limits_;
  // A write reads the old entry (to drop its index key) and the user's totals: one per user at a time.
  mutable std::array<std::mutex, 64> user_mutexes_;
  mutable LatestPositions latest_;  // per user
};

}  // namespace domovoy
