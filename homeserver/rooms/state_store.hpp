#pragma once
// Room state snapshots ("state groups") stored as deltas against a parent group. A chain is
// folded into a full snapshot once it grows past kMaxChainDepth, so loading any group reads at
// most that many records; a bounded LRU keeps recently used states in memory.
#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "homeserver/rooms/event.hpp"
#include "storage/database.hpp"

namespace domovoy {

using StateMap = std::map<StateKey, std::string>;  // (type, state_key) -> event id
using StatePtr = std::shared_ptr<const StateMap>;

class StateStore {
 public:
  static constexpr int kMaxChainDepth = 16;

  explicit StateStore(storage::Database& database, std::size_t cache_entries = 512);

  // Group 0 is the empty state.
  StatePtr load(std::uint64_t group);
  // Records a new group = parent's state with `changes` applied, into `batch`.
  // `new_state` must be exactly that result (the caller has it already).
  std::uint64_t add_group(storage::WriteBatch& batch, std::uint64_t parent, const StateMap& changes,
                          const StatePtr& new_state);

 private:
  struct Record {
    std::uint64_t parent = 0;
    int depth = 0;
    StateMap set;
  };
  Record read_record(std::uint64_t group) const;
  int depth_of(std::uint64_t group);
  void remember(std::uint64_t group, StatePtr state, int depth);

  storage::Database& database_;
  std::atomic<std::uint64_t> next_group_;
  std::mutex mutex_;
  std::size_t capacity_;
  std::list<std::uint64_t> lru_;
  struct Entry {
    StatePtr state;
    int depth;
    std::list<std::uint64_t>::iterator position;
  };
  std::unordered_map<std::uint64_t, Entry> cache_;
};

}  // namespace domovoy
