#include "homeserver/rooms/state_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

StateStore::StateStore(storage::Database& database, std::size_t cache_entries)
    : database_(database), next_group_(1), capacity_(cache_entries) {
  std::uint64_t last = 0;
  database_.scan_reverse(Table::stategroup_delta, "", "", [&](std::string_view key, std::string_view) {
    last = storage::read_be64(key);
    return false;
  });
  next_group_ = last + 1;
}

StateStore::Record StateStore::read_record(std::uint64_t group) const {
  auto stored = database_.get(Table::stategroup_delta, storage::be64(group));
  if (!stored) throw std::runtime_error("state group " + std::to_string(group) + " is missing");
  auto object = parse_stored_json(*stored).as_object();
  Record record;
  record.parent = object["parent"].to_number<std::uint64_t>();
  record.depth = object["depth"].to_number<int>();
  for (const auto& entry : object["set"].as_array()) {
    const auto& triple = entry.as_array();
    record.set[{std::string(triple[0].as_string()), std::string(triple[1].as_string())}] =
        std::string(triple[2].as_string());
  }
  return record;
}

void StateStore::remember(std::uint64_t group, StatePtr state, int depth) {
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(group); it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return;
  }
  lru_.push_front(group);
  cache_[group] = {std::move(state), depth, lru_.begin()};
  while (cache_.size() > capacity_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

StatePtr StateStore::load(std::uint64_t group) {
  if (group == 0) {
    static const auto kEmpty = std::make_shared<const StateMap>();
    return kEmpty;
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(group); it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      return it->second.state;
    }
  }
  auto record = read_record(group);
  auto base = load(record.parent);
  auto state = std::make_shared<StateMap>(*base);
  for (auto& [key, event_id] : record.set) (*state)[key] = event_id;
  StatePtr result = state;
  remember(group, result, record.depth);
  return result;
}

int StateStore::depth_of(std::uint64_t group) {
  if (group == 0) return 0;
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(group); it != cache_.end()) return it->second.depth;
  }
  return read_record(group).depth;
}

std::uint64_t StateStore::add_group(storage::WriteBatch& batch, std::uint64_t parent, const StateMap& changes,
                                    const StatePtr& new_state) {
  auto group = next_group_.fetch_add(1);
  int depth = parent == 0 ? 0 : depth_of(parent) + 1;
  const StateMap* to_store = &changes;
  if (depth >= kMaxChainDepth) {
    // Fold the chain: store the whole state so no load walks further than this group.
    parent = 0;
    depth = 0;
    to_store = new_state.get();
  }
  json::array set;
  for (const auto& [key, event_id] : *to_store) set.push_back(json::array{key.type, key.state_key, event_id});
  json::object record{{"parent", parent}, {"depth", depth}, {"set", std::move(set)}};
  batch.put(Table::stategroup_delta, storage::be64(group), to_json(record));
  remember(group, new_state, depth);
  return group;
}

}  // namespace domovoy
