#pragma once
// The persisted-event stream: every event this server stored, in stream order, as durable
// consumers (appservice queues, later federation's destinations and push) read it from their
// own saved position. It shows only what is visible (StreamTracker::current()): nothing that is
// not yet durable, and no gap that a slower writer of a lower position could still fill.
#include <cstdint>
#include <string>
#include <vector>

namespace domovoy {

namespace storage {
class Database;
}
class StreamTracker;

struct StreamEntry {
  std::uint64_t position = 0;
  std::string room_id;
  std::string event_id;
};

class EventStream {
 public:
  EventStream(const storage::Database& database, const StreamTracker& stream) : database_(database), stream_(stream) {}

  // Events with after < position <= visible(), oldest first, at most `limit`.
  std::vector<StreamEntry> read_after(std::uint64_t after, std::size_t limit) const;
  std::uint64_t visible() const;

 private:
  const storage::Database& database_;
  const StreamTracker& stream_;
};

}  // namespace domovoy
