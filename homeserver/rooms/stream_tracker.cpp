#include "homeserver/rooms/stream_tracker.hpp"

#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

StreamTracker::StreamTracker(const storage::Database& database) : last_allocated_(0) {
  database.scan_reverse(storage::Table::streampos_kind, "", "", [&](std::string_view key, std::string_view) {
    last_allocated_ = storage::read_be64(key);
    return false;
  });
}

}  // namespace domovoy
