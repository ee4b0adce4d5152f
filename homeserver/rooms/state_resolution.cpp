#include "homeserver/rooms/state_resolution.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "homeserver/rooms/auth_rules.hpp"
#include "homeserver/rooms/power_levels.hpp"

namespace domovoy {

namespace {

using IdSet = std::unordered_set<std::string>;

bool is_power_event(const Event& event) {
  if (!event.state_key) return false;
  if (event.type == "m.room.power_levels" || event.type == "m.room.join_rules") return true;
  if (event.type != "m.room.member") return false;
  auto membership = event.membership();
  return (membership == "leave" || membership == "ban") && event.sender != *event.state_key;
}

class Resolver {
 public:
  Resolver(const RoomVersion& version, const EventFetch& fetch, const std::string& create_event_id)
      : version_(version), fetch_(fetch), create_id_(create_event_id) {}

  StateMap resolve(const std::vector<StateMap>& states) {
    if (states.empty()) return {};
    if (states.size() == 1) return states.front();
    // Unconflicted state map and conflicted state set.
    StateMap unconflicted;
    IdSet conflicted;
    std::set<StateKey> keys;
    for (const auto& state : states)
      for (const auto& [key, id] : state) keys.insert(key);
    for (const auto& key : keys) {
      std::set<std::string> values;
      bool everywhere = true;
      for (const auto& state : states) {
        auto found = state.find(key);
        if (found == state.end()) everywhere = false;
        else values.insert(found->second);
      }
      if (everywhere && values.size() == 1) unconflicted[key] = *values.begin();
      else conflicted.insert(values.begin(), values.end());
    }
    if (conflicted.empty()) return unconflicted;

    // Full conflicted set: the conflicted state set, the auth difference and (v12) the
    // conflicted state subgraph. Events nobody can fetch take no part.
    IdSet full = conflicted;
    std::vector<IdSet> chains;
    for (const auto& state : states) {
      std::vector<std::string> ids;
      for (const auto& [key, id] : state) ids.push_back(id);
      chains.push_back(auth_chain(ids));
    }
    for (const auto& chain : chains)
      for (const auto& id : chain)
        if (!std::all_of(chains.begin(), chains.end(), [&](const IdSet& other) { return other.count(id) > 0; }))
          full.insert(id);
    if (version_.state_res_from_empty) {
      auto subgraph = conflicted_subgraph(conflicted);
      full.insert(subgraph.begin(), subgraph.end());
    }
    std::erase_if(full, [&](const std::string& id) { return !get(id); });

    // 1-2: power events and their auth ancestors in the full conflicted set, in reverse
    // topological power ordering, checked from the unconflicted state (v12: from nothing).
    IdSet power;
    for (const auto& id : full) {
      auto event = get(id);
      if (!is_power_event(*event)) continue;
      power.insert(id);
      for (const auto& ancestor : auth_chain({id}))
        if (full.count(ancestor)) power.insert(ancestor);
    }
    StateMap partial = version_.state_res_from_empty ? StateMap{} : unconflicted;
    iterative_auth_checks(partial, reverse_topological_power_order(power));

    // 3-4: the rest, in mainline order of the power levels just resolved.
    std::vector<std::string> rest;
    for (const auto& id : full)
      if (!power.count(id)) rest.push_back(id);
    iterative_auth_checks(partial, mainline_order(rest, partial));

    // 5: the unconflicted state map wins.
    for (const auto& [key, id] : unconflicted) partial[key] = id;
    return partial;
  }

 private:
  EventPtr get(const std::string& id) {
    if (auto found = cache_.find(id); found != cache_.end()) return found->second;
    auto event = fetch_(id);
    cache_[id] = event;
    return event;
  }

  std::vector<std::string> auth_ids(const Event& event) {
    std::vector<std::string> ids;
    if (const auto* auth = event.pdu.if_contains("auth_events"); auth && auth->is_array())
      for (const auto& id : auth->as_array())
        if (id.is_string()) ids.emplace_back(id.as_string());
    return ids;
  }

  // Every event reachable from `from` through auth_events, `from` itself excluded.
  IdSet auth_chain(const std::vector<std::string>& from) {
    IdSet chain;
    std::vector<std::string> pending;
    for (const auto& id : from)
      if (auto event = get(id))
        for (auto& parent : auth_ids(*event)) pending.push_back(std::move(parent));
    while (!pending.empty()) {
      auto id = std::move(pending.back());
      pending.pop_back();
      if (!chain.insert(id).second) continue;
      if (auto event = get(id))
        for (auto& parent : auth_ids(*event))
          if (!chain.count(parent)) pending.push_back(std::move(parent));
    }
    return chain;
  }

  // Events on an auth_events path from one conflicted event to another, both ends included.
  IdSet conflicted_subgraph(const IdSet& conflicted) {
    std::unordered_map<std::string, bool> reaches;  // whether an event leads to a conflicted one
    IdSet subgraph;
    std::function<bool(const std::string&)> visit = [&](const std::string& id) -> bool {
      if (auto known = reaches.find(id); known != reaches.end()) return known->second;
      reaches[id] = false;  // a cycle (malformed auth DAG) leads nowhere
      bool result = false;
      if (auto event = get(id))
        for (const auto& parent : auth_ids(*event))
          if (visit(parent)) result = true;
      if (conflicted.count(id)) result = true;
      reaches[id] = result;
      return result;
    };
    for (const auto& id : conflicted) {
      auto event = get(id);
      if (!event) continue;
      for (const auto& parent : auth_ids(*event)) visit(parent);
    }
    // Reached from a conflicted event (every visited event is) and leading to one.
    for (const auto& [id, leads] : reaches)
      if (leads) subgraph.insert(id);
    for (const auto& id : conflicted)
      if (get(id)) subgraph.insert(id);
    return subgraph;
  }

  // The event's auth event of this key, when it has one that was not rejected.
  EventPtr auth_event_of(const Event& event, std::string_view type, std::string_view state_key) {
    if (type == "m.room.create" && state_key.empty() && !create_id_.empty() && version_.room_id_from_create)
      return get(create_id_);
    for (const auto& id : auth_ids(event)) {
      auto auth = get(id);
      if (auth && !auth->rejected && auth->type == type && auth->state_key && *auth->state_key == state_key) return auth;
    }
    return nullptr;
  }

  std::int64_t sender_power(const Event& event) {
    auto create = auth_event_of(event, "m.room.create", "");
    if (!create && event.type == "m.room.create") return std::numeric_limits<std::int64_t>::max();
    auto levels = auth_event_of(event, "m.room.power_levels", "");
    PowerLevels power(create.get(), levels.get(), version_);
    return power.user_level(event.sender);
  }

  std::vector<std::string> reverse_topological_power_order(const IdSet& events) {
    struct Key {
      std::int64_t power;
      std::int64_t ts;
      std::string id;
      bool operator>(const Key& other) const {
        if (power != other.power) return power < other.power;  // greater power first
        if (ts != other.ts) return ts > other.ts;
        return id > other.id;
      }
    };
    std::unordered_map<std::string, std::size_t> waiting;  // auth events within the set not yet placed
    std::unordered_map<std::string, std::vector<std::string>> children;
    std::priority_queue<Key, std::vector<Key>, std::greater<Key>> ready;
    auto key_of = [&](const std::string& id) {
      auto event = get(id);
      return Key{sender_power(*event), event->origin_server_ts, id};
    };
    for (const auto& id : events) {
      std::size_t count = 0;
      for (const auto& parent : auth_ids(*get(id)))
        if (events.count(parent)) {
          ++count;
          children[parent].push_back(id);
        }
      waiting[id] = count;
      if (count == 0) ready.push(key_of(id));
    }
    std::vector<std::string> order;
    while (!ready.empty()) {
      auto next = ready.top();
      ready.pop();
      order.push_back(next.id);
      for (const auto& child : children[next.id])
        if (--waiting[child] == 0) ready.push(key_of(child));
    }
    return order;  // events in an auth cycle (malformed) are left out
  }

  std::vector<std::string> mainline_order(std::vector<std::string> events, const StateMap& partial) {
    std::unordered_map<std::string, std::size_t> mainline;  // power levels event -> index from P0
    auto levels = partial.find(StateKey{"m.room.power_levels", ""});
    if (levels != partial.end()) {
      std::string id = levels->second;
      for (std::size_t index = 0; !id.empty() && !mainline.count(id); ++index) {
        mainline[id] = index;
        auto event = get(id);
        auto next = event ? auth_event_of(*event, "m.room.power_levels", "") : nullptr;
        id = next ? next->event_id : std::string{};
      }
    }
    constexpr std::size_t kInfinity = std::numeric_limits<std::size_t>::max();
    std::unordered_map<std::string, std::size_t> position;
    for (const auto& id : events) {
      std::size_t found = kInfinity;
      auto current = get(id);
      IdSet seen;
      while (current) {
        auto next = auth_event_of(*current, "m.room.power_levels", "");
        if (!next || !seen.insert(next->event_id).second) break;
        if (auto at = mainline.find(next->event_id); at != mainline.end()) {
          found = at->second;
          break;
        }
        current = next;
      }
      position[id] = found;
    }
    std::sort(events.begin(), events.end(), [&](const std::string& x, const std::string& y) {
      if (position[x] != position[y]) return position[x] > position[y];
      auto ex = get(x), ey = get(y);
      if (ex->origin_server_ts != ey->origin_server_ts) return ex->origin_server_ts < ey->origin_server_ts;
      return x < y;
    });
    return events;
  }

  void iterative_auth_checks(StateMap& state, const std::vector<std::string>& events) {
    for (const auto& id : events) {
      auto event = get(id);
      if (!event || !event->state_key) continue;
      auto lookup = [&](std::string_view type, std::string_view state_key) -> EventPtr {
        auto found = state.find(StateKey{std::string(type), std::string(state_key)});
        if (found != state.end())
          if (auto current = get(found->second)) return current;
        return auth_event_of(*event, type, state_key);
      };
      if (check_auth_rules(*event, version_, lookup)) state[StateKey{event->type, *event->state_key}] = id;
    }
  }

  const RoomVersion& version_;
  const EventFetch& fetch_;
  std::string create_id_;
  std::unordered_map<std::string, EventPtr> cache_;
};

}  // namespace

StateMap resolve_state(const RoomVersion& version, const std::vector<StateMap>& states, const EventFetch& fetch,
                       const std::string& create_event_id) {
  Resolver resolver(version, fetch, create_event_id);
  return resolver.resolve(states);
}

}  // namespace domovoy
