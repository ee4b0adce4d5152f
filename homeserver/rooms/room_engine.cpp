#include "homeserver/rooms/room_engine.hpp"

#include <spdlog/spdlog.h>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/rooms/auth_rules.hpp"
#include "homeserver/rooms/power_levels.hpp"
#include "storage/key_codec.hpp"

#include <map>

namespace domovoy {

using storage::Table;

namespace {
std::string membership_value(const MembershipRecord& record) {
  json::object object{{"membership", record.membership}, {"event_id", record.event_id}, {"stream", record.stream}};
  if (record.forgotten) object["forgotten"] = true;
  return to_json(object);
}

MembershipRecord parse_membership(std::string_view room_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  return {std::string(room_id), std::string(object["membership"].as_string()), std::string(object["event_id"].as_string()),
          object["stream"].to_number<std::uint64_t>(), object.contains("forgotten")};
}

// Transaction ids are scoped per device and per endpoint: /send and /redact do not share them.
std::string txn_key(const EventDraft& draft, const std::string& room_id) {
  return storage::join_key({draft.sender, draft.txn_device, room_id, draft.redacts.empty() ? "send" : "redact", draft.txn_id});
}
}  // namespace

RoomEngine::RoomEngine(storage::Database& database, const ServerIdentity& identity, StreamTracker& stream,
                       StateStore& states)
    : database_(database), identity_(identity), stream_(stream), states_(states) {}

void RoomEngine::replace_cached_event(const EventPtr& event) {
  std::lock_guard lock(cache_mutex_);
  if (auto it = event_cache_.find(event->event_id); it != event_cache_.end()) it->second.first = event;
}

static std::string redacted_event_id(const Event& redaction) {
  if (redaction.type != "m.room.redaction") return {};
  if (const auto* in_content = redaction.content().if_contains("redacts"); in_content && in_content->is_string())
    return std::string(in_content->as_string());
  if (const auto* top = redaction.pdu.if_contains("redacts"); top && top->is_string()) return std::string(top->as_string());
  return {};
}

std::shared_ptr<Event> RoomEngine::redaction_target(const Room& room, const Event& redaction) {
  std::string target_id = redacted_event_id(redaction);
  auto target = get_event(target_id);
  if (!target || target->room_id != room.room_id || !target->redacted_by.empty()) return nullptr;
  // Handling redactions (rooms v3+): applied when the redacter has the redact level or sent the
  // original event; otherwise the redaction event stands but changes nothing.
  auto create = state_event(room.state, "m.room.create", "");
  auto power_event = state_event(room.state, "m.room.power_levels", "");
  PowerLevels power(create.get(), power_event.get(), *room.version);
  bool allowed = power.user_level(redaction.sender) >= power.redact() || redaction.sender == target->sender;
  if (!allowed) return nullptr;
  auto updated = std::make_shared<Event>(*target);
  updated->redacted_by = redaction.event_id;
  updated->redacted_content = redact_event(target->pdu, *room.version)["content"].as_object();
  updated->redacted_because = json::object{{"type", redaction.type},
                                           {"content", redaction.content()},
                                           {"sender", redaction.sender},
                                           {"event_id", redaction.event_id},
                                           {"origin_server_ts", redaction.origin_server_ts},
                                           {"room_id", redaction.room_id},
                                           {"redacts", target->event_id}};
  return updated;
}

void RoomEngine::cache_event(const EventPtr& event) {
  std::lock_guard lock(cache_mutex_);
  if (event_cache_.count(event->event_id)) return;
  event_lru_.push_front(event->event_id);
  event_cache_[event->event_id] = {event, event_lru_.begin()};
  while (event_cache_.size() > kEventCacheEntries) {
    event_cache_.erase(event_lru_.back());
    event_lru_.pop_back();
  }
}

EventPtr RoomEngine::get_event(std::string_view event_id) {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = event_cache_.find(std::string(event_id)); it != event_cache_.end()) {
      event_lru_.splice(event_lru_.begin(), event_lru_, it->second.second);
      return it->second.first;
    }
  }
  auto record = database_.get(Table::eventid_event, event_id);
  if (!record) return nullptr;
  EventPtr event = parse_event_record(*record, event_id);
  cache_event(event);
  return event;
}

std::string RoomEngine::room_record(const Room& room) const {
  json::array extremities;
  for (const auto& id : room.forward_extremities) extremities.push_back(json::string(id));
  return to_json(json::object{{"version", room.version->id},
                              {"extremities", std::move(extremities)},
                              {"depth", room.depth},
                              {"state_group", room.state_group}});
}

std::shared_ptr<RoomEngine::Room> RoomEngine::load_room(const std::string& room_id) {
  std::lock_guard lock(rooms_mutex_);
  if (auto it = rooms_.find(room_id); it != rooms_.end()) return it->second;
  auto stored = database_.get(Table::roomid_room, room_id);
  if (!stored) return nullptr;
  auto object = parse_stored_json(*stored).as_object();
  auto room = std::make_shared<Room>();
  room->room_id = room_id;
  room->version = find_room_version(object["version"].as_string());
  if (!room->version) throw std::runtime_error("room " + room_id + " has an unsupported version");
  for (const auto& id : object["extremities"].as_array()) room->forward_extremities.emplace_back(id.as_string());
  room->depth = object["depth"].to_number<std::int64_t>();
  room->state_group = object["state_group"].to_number<std::uint64_t>();
  room->state = states_.load(room->state_group);
  // From the membership index (small records written with each member event), not by parsing
  // every member event: the first touch of a room of thousands stays cheap.
  auto prefix = storage::key_prefix({room_id});
  database_.scan_prefix(Table::roomuser_membership, prefix, [&](std::string_view key, std::string_view value) {
    auto record = parse_membership(room_id, value);
    std::string user(key.substr(prefix.size()));
    if (record.membership == "join") room->joined.insert(std::move(user));
    else if (record.membership == "invite") room->invited.insert(std::move(user));
    return true;
  });
  rooms_[room_id] = room;
  return room;
}

bool RoomEngine::room_exists(const std::string& room_id) { return load_room(room_id) != nullptr; }

const RoomVersion* RoomEngine::room_version(const std::string& room_id) {
  auto room = load_room(room_id);
  return room ? room->version : nullptr;
}

StatePtr RoomEngine::current_state(const std::string& room_id) {
  auto room = load_room(room_id);
  if (!room) return nullptr;
  std::lock_guard lock(room->view_mutex);
  return room->state;
}

EventPtr RoomEngine::state_event(const StatePtr& state, std::string_view type, std::string_view state_key) {
  if (!state) return nullptr;
  auto it = state->find(StateKey{std::string(type), std::string(state_key)});
  if (it == state->end()) return nullptr;
  return get_event(it->second);
}

std::string RoomEngine::membership_in(const StatePtr& state, std::string_view user_id) {
  auto member = state_event(state, "m.room.member", user_id);
  if (!member) return "leave";
  auto membership = member->membership();
  return membership.empty() ? "leave" : membership;
}

std::string RoomEngine::current_membership(const std::string& room_id, std::string_view user_id) {
  auto state = current_state(room_id);
  return state ? membership_in(state, user_id) : "leave";
}

std::shared_ptr<Event> RoomEngine::build_event(Room& room, const EventDraft& draft) {
  json::object pdu;
  pdu["type"] = draft.type;
  pdu["sender"] = draft.sender;
  pdu["content"] = draft.content;
  if (draft.state_key) pdu["state_key"] = *draft.state_key;
  pdu["room_id"] = room.room_id;
  pdu["origin_server_ts"] = now_ms();
  pdu["depth"] = room.depth + 1;
  json::array prev;
  for (const auto& id : room.forward_extremities) prev.push_back(json::string(id));
  pdu["prev_events"] = std::move(prev);
  if (!draft.redacts.empty()) {
    // Room versions 11+ carry `redacts` in content only; older ones at the top level.
    if (room.version->v11_redaction) pdu["content"].as_object()["redacts"] = draft.redacts;
    else pdu["redacts"] = draft.redacts;
  }
  auto event = Event::from_pdu(pdu, {}, room.room_id);
  json::array auth_ids;
  for (const auto& key : auth_event_keys(*event, *room.version)) {
    auto it = room.state->find(key);
    if (it != room.state->end()) auth_ids.push_back(json::string(it->second));
  }
  event->pdu["auth_events"] = std::move(auth_ids);
  return event;
}

std::string RoomEngine::create_room(const RoomVersion& version, const std::string& creator,
                                    json::object creation_content, const std::vector<EventDraft>& drafts) {
  creation_content["room_version"] = version.id;
  if (!version.creator_is_sender) creation_content["creator"] = creator;
  json::object pdu{{"type", "m.room.create"},
                   {"state_key", ""},
                   {"sender", creator},
                   {"content", creation_content},
                   {"origin_server_ts", now_ms()},
                   {"depth", 1},
                   {"prev_events", json::array{}},
                   {"auth_events", json::array{}}};
  if (!has_only_canonical_integers(pdu)) throw bad_json("creation_content holds a non-integer number");
  std::string room_id;
  std::string event_id;
  // Reserve a room id no other room has or is being created with. A v12 id is the create
  // event's hash, so two identical requests in one millisecond would derive the same one: the
  // later one moves its timestamp on and signs again.
  while (true) {
    if (!version.room_id_from_create) {
      room_id = "!" + random_letters(18) + ":" + identity_.server_name;
      pdu["room_id"] = room_id;
    }
    pdu.erase("hashes");
    pdu.erase("signatures");
    event_id = hash_and_sign_event(pdu, version, identity_.server_name, identity_.signing_key);
    if (version.room_id_from_create) room_id = "!" + event_id.substr(1);
    std::lock_guard lock(rooms_mutex_);
    if (!rooms_.count(room_id) && !creating_.count(room_id) && !database_.contains(Table::roomid_room, room_id)) {
      creating_.insert(room_id);
      break;
    }
    pdu["origin_server_ts"] = pdu["origin_server_ts"].to_number<std::int64_t>() + 1;
  }
  struct Reservation {
    RoomEngine& engine;
    std::string room_id;
    ~Reservation() {
      std::lock_guard lock(engine.rooms_mutex_);
      engine.creating_.erase(room_id);
    }
  } reservation{*this, room_id};
  auto event = Event::from_pdu(std::move(pdu), event_id, room_id);
  auto allowed = check_auth_rules(*event, version, [](std::string_view, std::string_view) { return EventPtr{}; });
  if (!allowed) throw bad_json("create event refused: " + allowed.reason);

  // Check every initial event against the state the earlier ones build, before anything is
  // written: a refused event must leave no half-made room behind (create_room.yaml: 400).
  {
    std::map<StateKey, EventPtr> state{{StateKey{"m.room.create", ""}, event}};
    auto lookup = [&state](std::string_view type, std::string_view key) -> EventPtr {
      auto it = state.find(StateKey{std::string(type), std::string(key)});
      return it == state.end() ? nullptr : it->second;
    };
    std::string previous = event->event_id;
    int index = 0;
    for (const auto& draft : drafts) {
      json::object draft_pdu{{"type", draft.type},  {"sender", draft.sender}, {"content", draft.content},
                             {"room_id", room_id},  {"depth", 2 + index},     {"origin_server_ts", 0},
                             {"prev_events", json::array{json::string(previous)}}, {"auth_events", json::array{}}};
      if (draft.state_key) draft_pdu["state_key"] = *draft.state_key;
      if (!has_only_canonical_integers(draft_pdu))
        throw ApiError(400, "M_INVALID_ROOM_STATE", "Initial state holds a non-integer number");
      auto simulated = Event::from_pdu(std::move(draft_pdu), "$initial" + std::to_string(index++), room_id);
      auto verdict = check_auth_rules(*simulated, version, lookup);
      if (!verdict)
        throw ApiError(400, "M_INVALID_ROOM_STATE", "Initial " + draft.type + " event refused: " + verdict.reason);
      if (simulated->state_key) state[StateKey{simulated->type, *simulated->state_key}] = simulated;
      previous = simulated->event_id;
    }
  }

  auto room = std::make_shared<Room>();
  room->room_id = room_id;
  room->version = &version;
  room->state = states_.load(0);
  {
    std::lock_guard lock(room->mutex);
    persist(*room, event, true);
    std::lock_guard rooms_lock(rooms_mutex_);
    rooms_[room_id] = room;
  }
  for (const auto& draft : drafts) send(room_id, draft);
  return room_id;
}

bool RoomEngine::is_local_self_join(const EventDraft& draft) const {
  if (draft.type != "m.room.member" || !draft.state_key || *draft.state_key != draft.sender) return false;
  if (server_name_of(draft.sender) != identity_.server_name) return false;
  const auto* membership = draft.content.if_contains("membership");
  return membership && membership->is_string() && membership->as_string() == "join";
}

std::string RoomEngine::join_rule(const StatePtr& state) {
  auto rules = state_event(state, "m.room.join_rules", "");
  if (!rules) return "invite";
  const auto* rule = rules->content().if_contains("join_rule");
  return rule && rule->is_string() ? std::string(rule->as_string()) : "invite";
}

void RoomEngine::authorise_restricted_join(const Room& room, EventDraft& join) {
  auto rule = join_rule(room.state);
  if (rule != "restricted" && rule != "knock_restricted") return;
  auto current = membership_in(room.state, join.sender);
  if (current == "join" || current == "invite" || current == "ban") return;  // the auth rules decide these
  // The allow conditions (client-server-api "Restricted rooms"): membership of a listed room,
  // read from the membership index so that no other room's lock is taken while this one is held.
  bool satisfied = false;
  auto rules_event = state_event(room.state, "m.room.join_rules", "");
  if (const auto* allow = rules_event->content().if_contains("allow"); allow && allow->is_array()) {
    for (const auto& entry : allow->as_array()) {
      if (!entry.is_object()) continue;
      const auto* type = entry.as_object().if_contains("type");
      const auto* allowed_room = entry.as_object().if_contains("room_id");
      if (!type || !type->is_string() || type->as_string() != "m.room_membership") continue;
      if (!allowed_room || !allowed_room->is_string()) continue;
      auto record = membership_record(std::string(allowed_room->as_string()), join.sender);
      if (record && record->membership == "join") {
        satisfied = true;
        break;
      }
    }
  }
  if (!satisfied && rule == "knock_restricted") throw forbidden("You must knock or be invited to join this room");
  if (!satisfied) throw forbidden("You are not a member of a room that this room's join rules allow");

  // Rule 5.2.5 needs a joined user of this server who may invite: creators first, then the
  // users named in the power levels, then (when everyone may invite) any local member.
  auto create = state_event(room.state, "m.room.create", "");
  auto power_event = state_event(room.state, "m.room.power_levels", "");
  PowerLevels power(create.get(), power_event.get(), *room.version);
  auto may_authorise = [&](std::string_view user) {
    return server_name_of(user) == identity_.server_name && membership_in(room.state, user) == "join" &&
           power.user_level(user) >= power.invite();
  };
  std::vector<std::string> candidates(power.creators().begin(), power.creators().end());
  if (power_event)
    if (const auto* users = power_event->content().if_contains("users"); users && users->is_object())
      for (const auto& entry : users->as_object()) candidates.emplace_back(entry.key());
  for (const auto& candidate : candidates) {
    if (may_authorise(candidate)) {
      join.content["join_authorised_via_users_server"] = candidate;
      return;
    }
  }
  for (auto it = room.state->lower_bound(StateKey{"m.room.member", ""});
       it != room.state->end() && it->first.type == "m.room.member"; ++it) {
    if (may_authorise(it->first.state_key)) {
      join.content["join_authorised_via_users_server"] = it->first.state_key;
      return;
    }
  }
  throw ApiError(403, "M_UNABLE_TO_AUTHORISE_JOIN", "No member of this server may authorise the join");
}

EventPtr RoomEngine::send(const std::string& room_id, const EventDraft& draft) {
  // server-server-api "Size limits": type and state_key are at most 255 bytes.
  if (draft.type.empty() || draft.type.size() > kMaxIdentifierBytes) throw invalid_param("Invalid event type");
  if (draft.state_key && draft.state_key->size() > kMaxIdentifierBytes)
    throw invalid_param("state_key is longer than 255 bytes");
  auto room = load_room(room_id);
  if (!room) throw not_found("Unknown room " + room_id);
  // A client never chooses who authorised its restricted join: this server decides (rule 5.2).
  std::optional<EventDraft> local_join;
  if (is_local_self_join(draft)) {
    local_join = draft;
    local_join->content.erase("join_authorised_via_users_server");
  }
  const EventDraft& effective = local_join ? *local_join : draft;
  std::lock_guard lock(room->mutex);
  if (!draft.txn_id.empty()) {
    if (auto previous = database_.get(Table::txn_eventid, txn_key(draft, room_id))) {
      if (auto event = get_event(*previous)) return event;
    }
  }
  if (local_join) authorise_restricted_join(*room, *local_join);
  auto event = build_event(*room, effective);
  if (!has_only_canonical_integers(event->pdu))
    throw bad_json("Event content must not hold floats or integers beyond 2^53");
  auto lookup = [this, &room](std::string_view type, std::string_view key) {
    return state_event(room->state, type, key);
  };
  auto allowed = check_auth_rules(*event, *room->version, lookup);
  if (!allowed) throw forbidden(allowed.reason);
  event->event_id = hash_and_sign_event(event->pdu, *room->version, identity_.server_name, identity_.signing_key);
  if (canonical_json(event->pdu).size() > kMaxPduBytes) throw too_large("Event is larger than 65536 bytes");
  event->txn_id = draft.txn_id;
  event->txn_device = draft.txn_device;
  return persist(*room, std::move(event), false);
}

EventPtr RoomEngine::persist(Room& room, std::shared_ptr<Event> event, bool is_new_room) {
  storage::WriteBatch batch;
  StreamTracker::Slot slot(stream_);
  auto position = slot.position();

  event->stream = position;
  event->state_group_before = room.state_group;
  event->state_group_after = room.state_group;
  StatePtr new_state = room.state;
  if (event->state_key) {
    StateKey key{event->type, *event->state_key};
    if (auto replaced = room.state->find(key); replaced != room.state->end()) {
      if (auto previous = get_event(replaced->second)) {
        event->replaces_state = previous->event_id;
        event->prev_sender = previous->sender;
      }
    }
    auto next = std::make_shared<StateMap>(*room.state);
    (*next)[key] = event->event_id;
    new_state = next;
    event->state_group_after = states_.add_group(batch, room.state_group, StateMap{{key, event->event_id}}, new_state);
  }

  batch.put(Table::eventid_event, event->event_id, serialize_event_record(*event));
  batch.put(Table::roomstream_eventid, storage::join_key({room.room_id, storage::be64(position)}), event->event_id);
  batch.put(Table::streampos_kind, storage::be64(position), "event");
  if (!event->txn_id.empty()) {
    auto event_redacts = redacted_event_id(*event);
    EventDraft key_source{event->type, {}, event->sender, {}, event->txn_id, event->txn_device, event_redacts};
    batch.put(Table::txn_eventid, txn_key(key_source, room.room_id), event->event_id);
  }
  std::string membership = event->membership();
  if (!membership.empty()) {
    MembershipRecord record{room.room_id, membership, event->event_id, position};
    batch.put(Table::roomuser_membership, storage::join_key({room.room_id, *event->state_key}), membership_value(record));
    batch.put(Table::userroom_membership, storage::join_key({*event->state_key, room.room_id}), membership_value(record));
  }
  std::shared_ptr<Event> redacted_target;
  if (event->type == "m.room.redaction") redacted_target = redaction_target(room, *event);
  if (redacted_target) batch.put(Table::eventid_event, redacted_target->event_id, serialize_event_record(*redacted_target));
  Room updated_view;  // the room record as it will be once written
  updated_view.version = room.version;
  updated_view.forward_extremities = {event->event_id};
  updated_view.depth = std::max(room.depth, event->depth);
  updated_view.state_group = event->state_group_after;
  batch.put(Table::roomid_room, room.room_id, room_record(updated_view));
  (void)is_new_room;

  database_.write(std::move(batch));  // durable from here on

  room.forward_extremities = std::move(updated_view.forward_extremities);
  room.depth = updated_view.depth;
  room.state_group = updated_view.state_group;
  std::unique_lock view_lock(room.view_mutex);
  room.state = new_state;
  if (!membership.empty()) {
    room.joined.erase(*event->state_key);
    room.invited.erase(*event->state_key);
    if (membership == "join") room.joined.insert(*event->state_key);
    if (membership == "invite") room.invited.insert(*event->state_key);
  }
  view_lock.unlock();
  EventPtr stored = event;
  cache_event(stored);
  if (redacted_target) replace_cached_event(redacted_target);
  // A woken /sync reads up to the visible position, so the wake waits until the event is visible
  // (a lower position of another room may still be being written).
  if (listener_) {
    // Joined members see the event; invitees see changes of the state their invite shows.
    std::vector<std::string> wake(room.joined.begin(), room.joined.end());
    if (event->state_key) wake.insert(wake.end(), room.invited.begin(), room.invited.end());
    if (!membership.empty()) wake.push_back(*event->state_key);
    slot.release([this, stored, wake = std::move(wake)]() { listener_(stored, wake); });
  }
  return stored;
}

std::vector<EventPtr> RoomEngine::room_events(const std::string& room_id, std::uint64_t after, std::uint64_t up_to,
                                              std::size_t limit, bool newest_first) {
  std::vector<EventPtr> events;
  if (up_to <= after || limit == 0) return events;
  auto prefix = storage::key_prefix({room_id});
  auto visit = [&](std::string_view key, std::string_view value) {
    auto position = storage::read_be64(key.substr(prefix.size()));
    if (position <= after || position > up_to) return false;
    if (auto event = get_event(value)) events.push_back(event);
    return events.size() < limit;
  };
  if (newest_first) {
    database_.scan_reverse(Table::roomstream_eventid, prefix, prefix + storage::be64(up_to), visit);
  } else {
    database_.scan_from(Table::roomstream_eventid, prefix, prefix + storage::be64(after + 1), visit);
  }
  return events;
}

EventPtr RoomEngine::last_event_at(const std::string& room_id, std::uint64_t at) {
  auto events = room_events(room_id, 0, at, 1, true);
  return events.empty() ? nullptr : events.front();
}

std::vector<MembershipRecord> RoomEngine::rooms_of_user(const std::string& user_id) {
  std::vector<MembershipRecord> records;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_prefix(Table::userroom_membership, prefix, [&](std::string_view key, std::string_view value) {
    records.push_back(parse_membership(key.substr(prefix.size()), value));
    return true;
  });
  return records;
}

std::optional<MembershipRecord> RoomEngine::membership_record(const std::string& room_id, const std::string& user_id) {
  auto stored = database_.get(Table::userroom_membership, storage::join_key({user_id, room_id}));
  if (!stored) return std::nullopt;
  return parse_membership(room_id, *stored);
}

bool RoomEngine::forget(const std::string& room_id, const std::string& user_id) {
  auto room = load_room(room_id);
  if (!room) return false;
  std::lock_guard lock(room->mutex);  // no membership change may slip in between read and write
  auto record = membership_record(room_id, user_id);
  if (!record) return true;
  if (record->membership == "join" || record->membership == "invite" || record->membership == "knock") return false;
  record->forgotten = true;
  storage::WriteBatch batch;
  batch.put(Table::userroom_membership, storage::join_key({user_id, room_id}), membership_value(*record));
  database_.write(std::move(batch));
  return true;
}

std::vector<std::string> RoomEngine::all_rooms() {
  std::vector<std::string> rooms;
  database_.scan_prefix(Table::roomid_room, "", [&](std::string_view key, std::string_view) {
    rooms.emplace_back(key);
    return true;
  });
  return rooms;
}

std::vector<std::string> RoomEngine::joined_members(const std::string& room_id) {
  auto room = load_room(room_id);
  if (!room) return {};
  std::lock_guard lock(room->view_mutex);
  return {room->joined.begin(), room->joined.end()};
}

bool RoomEngine::is_joined(const std::string& room_id, const std::string& user_id) {
  auto room = load_room(room_id);
  if (!room) return false;
  std::lock_guard lock(room->view_mutex);
  return room->joined.count(user_id) > 0;
}

RoomMembersSummary RoomEngine::members_summary(const std::string& room_id) {
  RoomMembersSummary summary;
  auto room = load_room(room_id);
  if (!room) return summary;
  std::lock_guard lock(room->view_mutex);
  summary.joined = room->joined.size();
  summary.invited = room->invited.size();
  // The first members in user id order, joined and invited alike, as the heroes are chosen.
  auto joined = room->joined.begin();
  auto invited = room->invited.begin();
  while (summary.first_members.size() < RoomMembersSummary::kFirstMembers &&
         (joined != room->joined.end() || invited != room->invited.end())) {
    bool take_joined = invited == room->invited.end() || (joined != room->joined.end() && *joined < *invited);
    summary.first_members.push_back(take_joined ? *joined++ : *invited++);
  }
  return summary;
}

}  // namespace domovoy
