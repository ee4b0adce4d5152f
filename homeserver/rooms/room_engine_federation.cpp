// The room engine's side of federation: templates for other servers' membership events, events
// accepted from other servers (auth checks against their auth events, the state before them and
// the current state), rooms joined through another server, and what other servers ask of a
// room's history (auth chains, servers in the room).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <unordered_set>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/rooms/auth_rules.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/rooms/server_acl.hpp"
#include "homeserver/rooms/state_resolution.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
std::vector<std::string> id_list(const json::object& pdu, std::string_view field) {
  std::vector<std::string> ids;
  if (const auto* list = pdu.if_contains(field); list && list->is_array())
    for (const auto& id : list->as_array())
      if (id.is_string()) ids.emplace_back(id.as_string());
  return ids;
}

// v12 rooms' create event is "$" + the room id's hash; earlier rooms cite it in auth_events.
std::string implied_create_id(const std::string& room_id, const RoomVersion& version) {
  return version.room_id_from_create ? "$" + room_id.substr(1) : std::string{};
}
}  // namespace

StateMap RoomEngine::resolve(const Room& room, const std::vector<StateMap>& states,
                             const std::function<EventPtr(std::string_view)>& find_event) {
  std::string create_id;
  for (const auto& state : states)
    if (auto it = state.find(StateKey{"m.room.create", ""}); it != state.end()) create_id = it->second;
  EventFetch fetch = [&](std::string_view id) -> EventPtr {
    auto event = find_event(id);
    return event && event->room_id == room.room_id ? event : nullptr;
  };
  return resolve_state(*room.version, states, fetch, create_id);
}

std::string RoomEngine::create_event_id(const std::string& room_id) {
  auto state = current_state(room_id);
  if (!state) return {};
  auto it = state->find(StateKey{"m.room.create", ""});
  return it == state->end() ? std::string{} : it->second;
}

std::vector<std::string> RoomEngine::forward_extremities(const std::string& room_id) {
  auto room = load_room(room_id);
  if (!room) return {};
  std::lock_guard lock(room->mutex);
  return room->forward_extremities;
}

bool RoomEngine::server_allowed_in(const std::string& room_id, std::string_view server) {
  auto state = current_state(room_id);
  auto acl = state_event(state, "m.room.server_acl", "");
  return !acl || server_acl_allows(acl->content(), server);
}

std::set<std::string> RoomEngine::joined_servers(const std::string& room_id) {
  std::set<std::string> servers;
  for (const auto& member : joined_members(room_id)) servers.emplace(server_name_of(member));
  return servers;
}

std::vector<std::string> RoomEngine::auth_chain_ids(const std::vector<std::string>& event_ids) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> chain;
  std::vector<std::string> pending;
  for (const auto& id : event_ids)
    if (auto event = get_event(id))
      for (auto& parent : id_list(event->pdu, "auth_events")) pending.push_back(std::move(parent));
  while (!pending.empty()) {
    auto id = std::move(pending.back());
    pending.pop_back();
    if (!seen.insert(id).second) continue;
    auto event = get_event(id);
    if (!event) continue;
    chain.push_back(id);
    for (auto& parent : id_list(event->pdu, "auth_events"))
      if (!seen.count(parent)) pending.push_back(std::move(parent));
  }
  return chain;
}

json::object RoomEngine::membership_template(const std::string& room_id, const std::string& user_id,
                                             const std::string& membership) {
  auto room = load_room(room_id);
  if (!room) throw not_found("Unknown room " + room_id);
  std::lock_guard lock(room->mutex);
  EventDraft draft{"m.room.member", user_id, user_id, json::object{{"membership", membership}}, {}, {}, {}};
  if (membership == "join") authorise_restricted_join(*room, draft, true);
  auto event = build_event(*room, draft);
  auto lookup = [this, &room](std::string_view type, std::string_view key) { return state_event(room->state, type, key); };
  auto allowed = check_auth_rules(*event, *room->version, lookup);
  if (!allowed) throw forbidden(allowed.reason);
  return event->pdu;
}

std::shared_ptr<Event> RoomEngine::build_signed_event(const std::string& room_id, const EventDraft& draft) {
  if (draft.type.empty() || draft.type.size() > kMaxIdentifierBytes) throw invalid_param("Invalid event type");
  auto room = load_room(room_id);
  if (!room) throw not_found("Unknown room " + room_id);
  std::lock_guard lock(room->mutex);
  auto event = build_event(*room, draft);
  if (!has_only_canonical_integers(event->pdu)) throw bad_json("Event content must not hold floats or integers beyond 2^53");
  auto lookup = [this, &room](std::string_view type, std::string_view key) { return state_event(room->state, type, key); };
  if (auto allowed = check_auth_rules(*event, *room->version, lookup); !allowed) throw forbidden(allowed.reason);
  event->event_id = hash_and_sign_event(event->pdu, *room->version, identity_.server_name, identity_.signing_key);
  if (canonical_json(event->pdu).size() > kMaxPduBytes) throw too_large("Event is larger than 65536 bytes");
  return event;
}

EventPtr RoomEngine::store_remote_membership(std::shared_ptr<Event> invite,
                                             std::optional<json::array> invite_room_state) {
  if (auto known = get_event(invite->event_id)) return known;
  if (invite_room_state) {
    auto& unsigned_data = invite->pdu["unsigned"];
    if (!unsigned_data.is_object()) unsigned_data = json::object{};
    unsigned_data.as_object()["invite_room_state"] = std::move(*invite_room_state);
  }
  invite->outlier = true;
  StreamTracker::Slot slot(stream_);
  invite->stream = slot.position();
  storage::WriteBatch batch;
  batch.put(Table::eventid_event, invite->event_id, serialize_event_record(*invite));
  batch.put(Table::streampos_kind, storage::be64(slot.position()), "remote_membership");
  MembershipRecord record{invite->room_id, invite->membership(), invite->event_id, slot.position()};
  batch.put(Table::roomuser_membership, storage::join_key({invite->room_id, *invite->state_key}), membership_value(record));
  batch.put(Table::userroom_membership, storage::join_key({*invite->state_key, invite->room_id}), membership_value(record));
  database_.write(std::move(batch));
  EventPtr stored = invite;
  cache_event(stored);
  std::vector<std::string> wake{*invite->state_key};
  // Listeners learn of it as they do of any event that concerns a local user; it is in no
  // room this server knows, so nothing follows the stream for it.
  slot.release([this, stored, wake]() {
    for (const auto& listener : listeners_) listener(stored, wake);
  });
  return stored;
}

void RoomEngine::stage_outlier(storage::WriteBatch& batch, std::shared_ptr<Event> event) {
  event->outlier = true;
  event->stream = 0;
  batch.put(Table::eventid_event, event->event_id, serialize_event_record(*event));
}

void RoomEngine::store_outliers(const std::vector<std::shared_ptr<Event>>& events) {
  storage::WriteBatch batch;
  for (const auto& event : events)
    if (!get_event(event->event_id)) stage_outlier(batch, std::make_shared<Event>(*event));
  if (!batch.empty()) database_.write(std::move(batch));
}

EventPtr RoomEngine::keep_refused(std::shared_ptr<Event> event, bool soft_failed, const std::string& reason,
                                  bool sync) {
  (soft_failed ? event->soft_failed : event->rejected) = true;
  event->stream = 0;
  spdlog::info("event {} from {} {}: {}", event->event_id, server_name_of(event->sender),
               soft_failed ? "soft-failed" : "rejected", reason);
  storage::WriteBatch batch;
  batch.put(Table::eventid_event, event->event_id, serialize_event_record(*event));
  database_.write(std::move(batch), sync);
  EventPtr kept = event;
  cache_event(kept);
  return kept;
}

RoomEngine::RemoteResult RoomEngine::accept_remote_event(const std::string& room_id, std::shared_ptr<Event> event,
                                                         const std::optional<StateMap>& state_before, bool sync) {
  auto room = load_room(room_id);
  if (!room) throw not_found("Unknown room " + room_id);
  std::lock_guard lock(room->mutex);
  if (auto known = get_event(event->event_id); known && !known->outlier)
    return {RemoteOutcome::already_known, {}, known};
  const auto& version = *room->version;

  // Step 4: the auth events it cites must be known, not rejected, shaped as the rules say, and allow it.
  std::vector<EventPtr> auth_events;
  for (const auto& id : id_list(event->pdu, "auth_events")) {
    auto auth = get_event(id);
    if (!auth || auth->rejected || auth->room_id != room_id)
      return {RemoteOutcome::rejected, "unknown or rejected auth event " + id, keep_refused(event, false, "auth event " + id, sync)};
    auth_events.push_back(auth);
  }
  if (auto shape = check_auth_events_shape(*event, auth_events, version); !shape)
    return {RemoteOutcome::rejected, shape.reason, keep_refused(event, false, shape.reason, sync)};
  auto create_id = implied_create_id(room_id, version);
  auto by_auth_events = [&](std::string_view type, std::string_view key) -> EventPtr {
    if (type == "m.room.create" && key.empty() && !create_id.empty()) return get_event(create_id);
    for (const auto& auth : auth_events)
      if (auth->type == type && auth->state_key && *auth->state_key == key) return auth;
    return nullptr;
  };
  if (auto verdict = check_auth_rules(*event, version, by_auth_events); !verdict)
    return {RemoteOutcome::rejected, verdict.reason, keep_refused(event, false, verdict.reason, sync)};

  // Step 5: the state before it, from its prev_events (resolved when they differ).
  auto prevs = id_list(event->pdu, "prev_events");
  Placement placement;
  std::vector<StateMap> prev_states;
  std::vector<std::uint64_t> prev_groups;
  for (const auto& id : prevs) {
    auto prev = get_event(id);
    if (!prev || prev->rejected || prev->outlier || prev->room_id != room_id) continue;
    if (std::find(prev_groups.begin(), prev_groups.end(), prev->state_group_after) != prev_groups.end()) continue;
    prev_groups.push_back(prev->state_group_after);
    prev_states.push_back(*states_.load(prev->state_group_after));
  }
  auto find_event = [this](std::string_view id) { return get_event(id); };
  storage::WriteBatch batch;
  if (state_before) {
    auto state = std::make_shared<StateMap>(*state_before);
    placement.state_before = state;
    placement.group_before = states_.add_group(batch, 0, *state, state);
  } else if (prev_groups.size() == 1) {
    placement.group_before = prev_groups.front();
    placement.state_before = states_.load(prev_groups.front());
  } else if (!prev_groups.empty()) {
    auto state = std::make_shared<StateMap>(resolve(*room, prev_states, find_event));
    placement.state_before = state;
    placement.group_before = states_.add_group(batch, 0, *state, state);
  } else {
    // None of its history is known here and the caller could not fetch the state before it.
    return {RemoteOutcome::rejected, "the state before the event is unknown", nullptr};
  }
  auto by_state_before = [&](std::string_view type, std::string_view key) {
    return state_event(placement.state_before, type, key);
  };
  if (auto verdict = check_auth_rules(*event, version, by_state_before); !verdict)
    return {RemoteOutcome::rejected, verdict.reason, keep_refused(event, false, verdict.reason, sync)};

  // Step 6: against the room's current state; failing only that is a soft failure.
  auto by_current = [&](std::string_view type, std::string_view key) { return state_event(room->state, type, key); };
  if (auto verdict = check_auth_rules(*event, version, by_current); !verdict)
    return {RemoteOutcome::soft_failed, verdict.reason, keep_refused(event, true, verdict.reason, sync)};

  for (const auto& id : room->forward_extremities)
    if (std::find(prevs.begin(), prevs.end(), id) == prevs.end()) placement.other_extremities.push_back(id);
  event->outlier = false;
  StreamTracker::Slot slot(stream_);
  auto staged = stage(*room, std::move(event), batch, slot.position(), find_event, &placement);
  database_.write(std::move(batch), sync);  // durable from here on (or at the next synced write)
  apply_to_room(*room, staged);
  publish(*room, staged, slot);
  return {RemoteOutcome::accepted, {}, staged.event};
}

EventPtr RoomEngine::join_remote_room(const RoomVersion& version, const std::string& room_id,
                                      const std::vector<std::shared_ptr<Event>>& state,
                                      const std::vector<std::shared_ptr<Event>>& auth_chain,
                                      std::shared_ptr<Event> join) {
  StateMap state_map;
  for (const auto& event : state)
    if (event->state_key) state_map[StateKey{event->type, *event->state_key}] = event->event_id;

  auto existing = load_room(room_id);
  if (existing) {
    // Known here already (members of this server left, or an invite's stripped state): the
    // outliers first, then the join on the state the resident server gave.
    storage::WriteBatch outliers;
    for (const auto& list : {&auth_chain, &state})
      for (const auto& event : *list)
        if (!get_event(event->event_id)) stage_outlier(outliers, std::make_shared<Event>(*event));
    if (!outliers.empty()) database_.write(std::move(outliers));
    auto result = accept_remote_event(room_id, join, state_map);
    if (result.outcome == RemoteOutcome::accepted || result.outcome == RemoteOutcome::already_known) return result.event;
    throw forbidden("The join was refused: " + result.reason);
  }

  auto room = std::make_shared<Room>();
  room->room_id = room_id;
  room->version = &version;
  room->state = states_.load(0);
  {
    std::lock_guard lock(rooms_mutex_);
    if (rooms_.count(room_id) || creating_.count(room_id)) throw ApiError(409, "M_UNKNOWN", "The room is being joined");
    creating_.insert(room_id);
  }
  Reservation reservation{*this, room_id};

  std::map<std::string, EventPtr, std::less<>> unwritten;
  storage::WriteBatch batch;
  for (const auto& list : {&auth_chain, &state})
    for (const auto& event : *list) {
      if (unwritten.count(event->event_id)) continue;
      auto copy = std::make_shared<Event>(*event);
      copy->room_id = room_id;
      stage_outlier(batch, copy);
      unwritten[copy->event_id] = copy;
    }
  auto find_event = [&](std::string_view id) -> EventPtr {
    if (auto it = unwritten.find(id); it != unwritten.end()) return it->second;
    return get_event(id);
  };
  auto before = std::make_shared<StateMap>(state_map);
  Placement placement;
  placement.state_before = before;
  placement.group_before = states_.add_group(batch, 0, *before, before);
  auto lookup = [&](std::string_view type, std::string_view key) -> EventPtr {
    auto it = before->find(StateKey{std::string(type), std::string(key)});
    return it == before->end() ? nullptr : find_event(it->second);
  };
  if (auto verdict = check_auth_rules(*join, version, lookup); !verdict)
    throw forbidden("The join is refused by the room's state: " + verdict.reason);
  // The members the state names, so the room's member lists are right from the start.
  for (const auto& [key, id] : state_map) {
    if (key.type != "m.room.member") continue;
    auto member = find_event(id);
    if (!member || member->membership().empty()) continue;
    MembershipRecord record{room_id, member->membership(), id, 0};
    batch.put(Table::roomuser_membership, storage::join_key({room_id, key.state_key}), membership_value(record));
    batch.put(Table::userroom_membership, storage::join_key({key.state_key, room_id}), membership_value(record));
    std::lock_guard view_lock(room->view_mutex);
    if (record.membership == "join") room->joined.insert(key.state_key);
    if (record.membership == "invite") room->invited.insert(key.state_key);
  }
  join->room_id = room_id;
  StreamTracker::Slot slot(stream_);
  auto staged = stage(*room, std::move(join), batch, slot.position(), find_event, &placement);
  database_.write(std::move(batch));  // durable from here on
  apply_to_room(*room, staged);
  {
    std::lock_guard lock(rooms_mutex_);
    rooms_[room_id] = room;
  }
  publish(*room, staged, slot);
  return staged.event;
}

}  // namespace domovoy
