#pragma once
// Read receipts (m.read, m.read.private), one per user, type, room and thread (none: an
// unthreaded receipt; "main", or a thread root's event id: client-server-api "Threaded read
// receipts"), at stream positions.
// Beside the receipts themselves, an index by (room, stream position) makes "what changed in
// this room since position N" cost what changed, not the room's size: in a building's room of
// thousands of members every woken /sync asks it.
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

struct Receipt {
  std::string room_id;
  std::string type;
  std::string user_id;
  std::string event_id;
  std::int64_t ts = 0;
  std::string thread_id;  // empty: unthreaded
  std::uint64_t stream = 0;
};

class ReceiptStore {
 public:
  // Builds the stream index the first time it opens a database written without one.
  ReceiptStore(storage::Database& database, StreamTracker& stream);

  // `when_visible` runs once readers can see the write (used to wake long-polls).
  std::uint64_t put(const Receipt& receipt, StreamTracker::Callback when_visible = {});
  std::optional<Receipt> get(const std::string& room_id, const std::string& type, const std::string& user_id,
                             const std::string& thread_id = {}) const;
  // The user's receipts of one type in the room: the unthreaded one and those of each thread.
  std::vector<Receipt> of_user(const std::string& room_id, const std::string& type, const std::string& user_id) const;
  // Receipts of a room with after < stream <= up_to, in stream order.
  std::vector<Receipt> changed(const std::string& room_id, std::uint64_t after, std::uint64_t up_to) const;
  // The newest receipt position of a room (0: none), so that an unchanged room costs no read.
  std::uint64_t latest(const std::string& room_id) const;

 private:
  void build_stream_index();

  storage::Database& database_;
  StreamTracker& stream_;
  // Replacing a receipt reads the old one to drop its index entry: one writer per key at a time.
  mutable std::array<std::mutex, 64> key_mutexes_;
  mutable LatestPositions latest_;  // per room
};

}  // namespace domovoy
