#pragma once
// Read receipts (m.read, m.read.private), one per user, type and room, at stream positions.
#include <optional>
#include <string>
#include <vector>

#include "homeserver/rooms/stream_tracker.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct Receipt {
  std::string room_id;
  std::string type;
  std::string user_id;
  std::string event_id;
  std::int64_t ts = 0;
  std::string thread_id;
  std::uint64_t stream = 0;
};

class ReceiptStore {
 public:
  ReceiptStore(storage::Database& database, StreamTracker& stream) : database_(database), stream_(stream) {}

  // `when_visible` runs once readers can see the write (used to wake long-polls).
  std::uint64_t put(const Receipt& receipt, StreamTracker::Callback when_visible = {});
  std::optional<Receipt> get(const std::string& room_id, const std::string& type, const std::string& user_id) const;
  // Receipts of a room with after < stream <= up_to.
  std::vector<Receipt> changed(const std::string& room_id, std::uint64_t after, std::uint64_t up_to) const;

 private:
  storage::Database& database_;
  StreamTracker& stream_;
};

}  // namespace domovoy
