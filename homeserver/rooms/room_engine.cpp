#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/core/clock.hpp"

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

#include <algorithm>
#include <map>

namespace domovoy {

using storage::Table;

std::string membership_value(const MembershipRecord& record) {
  json::object object{{"membership", record.membership}, {"event_id", record.event_id}, {"stream", record.stream}};
  if (record.forgotten) object["forgotten"] = true;
  return to_json(object);
}

namespace {

MembershipRecord parse_membership(std::string_view room_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  return {std::string(room_id), std::string(object["membership"].as_string()), std::string(object["event_id"].as_string()),
          object["stream"].to_number<std::uint64_t>(), object.contains("forgotten")};
}

constexpr std::string_view kStreamIndexBuiltKey = "rooms.stream_index";
constexpr std::string_view kRelationIndexBuiltKey = "rooms.relation_index";

// Transaction ids are scoped per device and per endpoint: /send and /redact do not share them.
std::string txn_key(const EventDraft& draft, const std::string& room_id) {
  return storage::join_key({draft.sender, draft.txn_device, room_id, draft.redacts.empty() ? "send" : "redact", draft.txn_id});
}
}  // namespace

RoomEngine::RoomEngine(storage::Database& database, const ServerIdentity& identity, StreamTracker& stream,
                       StateStore& states)
    : database_(database), identity_(identity), stream_(stream), states_(states), relations_(database) {
  if (!database_.contains(Table::meta, kStreamIndexBuiltKey)) build_stream_index();
  if (!database_.contains(Table::meta, kRelationIndexBuiltKey)) build_relation_index();
}

void RoomEngine::build_relation_index() {
  // Schema 5 added the relation index and schema 6 its annotations; a database written before
  // them gets the entries of its older events here, in stream order, so that thread summaries
  // come out as if staged live. What an event got when it was stored is not staged again.
  storage::WriteBatch batch;
  database_.scan_prefix(Table::stream_eventid, "", [&](std::string_view, std::string_view room_and_event) {
    auto event = get_event(room_and_event.substr(room_and_event.find('\0') + 1));
    if (!event) return true;
    auto relation = relation_of(*event);
    if (!relation) return true;
    auto parent = get_event(relation->parent_id);
    if (!parent || parent->room_id != event->room_id) return true;
    bool staged_thread = relations_.stage_missing(batch, *event, *relation, *parent);
    // A thread's summary is read from the database: it is written before its thread's next event.
    if (staged_thread || batch.size_bytes() > (8u << 20)) {
      database_.write(std::move(batch));
      batch = {};
    }
    return true;
  });
  batch.put(Table::meta, kRelationIndexBuiltKey, "1");
  database_.write(std::move(batch));
}

void RoomEngine::build_stream_index() {
  // Schema 3 added stream_eventid; a database written before it gets it from the room timelines.
  storage::WriteBatch batch;
  database_.scan_prefix(Table::roomstream_eventid, "", [&](std::string_view key, std::string_view event_id) {
    auto separator = key.find('\0');
    auto room_id = key.substr(0, separator);
    batch.put(Table::stream_eventid, key.substr(separator + 1), storage::join_key({room_id, event_id}));
    if (batch.size_bytes() > (8u << 20)) {
      database_.write(std::move(batch));
      batch = {};
    }
    return true;
  });
  batch.put(Table::meta, kStreamIndexBuiltKey, "1");
  database_.write(std::move(batch));
}

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
                                    json::object creation_content, const std::vector<EventDraft>& drafts,
                                    const AlsoWrite& also_write) {
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
  Reservation reservation{*this, room_id};
  auto create = Event::from_pdu(std::move(pdu), event_id, room_id);
  auto allowed = check_auth_rules(*create, version, [](std::string_view, std::string_view) { return EventPtr{}; });
  if (!allowed) throw bad_json("create event refused: " + allowed.reason);

  // The whole room is one write: every initial event is built, authorised against the state the
  // earlier ones make and signed before anything is stored, so a refused event (create_room.yaml:
  // 400) or a crash leaves no half-made room, and `also_write` (aliases, the directory entry)
  // lands with it or not at all. No one else sees the room until it is in rooms_.
  auto room = std::make_shared<Room>();
  room->room_id = room_id;
  room->version = &version;
  room->state = states_.load(0);
  std::map<std::string, EventPtr, std::less<>> unwritten;
  auto find_event = [&](std::string_view id) -> EventPtr {
    if (auto it = unwritten.find(id); it != unwritten.end()) return it->second;
    return get_event(id);
  };
  auto lookup = [&](std::string_view type, std::string_view key) -> EventPtr {
    auto it = room->state->find(StateKey{std::string(type), std::string(key)});
    return it == room->state->end() ? nullptr : find_event(it->second);
  };
  storage::WriteBatch batch;
  if (also_write) also_write(batch, room_id);
  std::vector<std::unique_ptr<StreamTracker::Slot>> slots;
  std::vector<StagedEvent> staged;
  auto stage_one = [&](std::shared_ptr<Event> event) {
    slots.push_back(std::make_unique<StreamTracker::Slot>(stream_));
    unwritten[event->event_id] = event;
    staged.push_back(stage(*room, std::move(event), batch, slots.back()->position(), find_event));
    apply_to_room(*room, staged.back());
  };
  stage_one(create);
  for (const auto& draft : drafts) {
    auto event = build_event(*room, draft);
    if (!has_only_canonical_integers(event->pdu))
      throw ApiError(400, "M_INVALID_ROOM_STATE", "Initial state holds a non-integer number");
    auto verdict = check_auth_rules(*event, version, lookup);
    if (!verdict) throw ApiError(400, "M_INVALID_ROOM_STATE", "Initial " + draft.type + " event refused: " + verdict.reason);
    event->event_id = hash_and_sign_event(event->pdu, version, identity_.server_name, identity_.signing_key);
    if (canonical_json(event->pdu).size() > kMaxPduBytes) throw too_large("Event is larger than 65536 bytes");
    stage_one(std::move(event));
  }
  database_.write(std::move(batch));  // durable from here on
  {
    std::lock_guard rooms_lock(rooms_mutex_);
    rooms_[room_id] = room;
  }
  for (std::size_t i = 0; i < staged.size(); ++i) publish(*room, staged[i], *slots[i]);
  return room_id;
}

RoomEngine::Reservation::~Reservation() {
  std::lock_guard lock(engine.rooms_mutex_);
  engine.creating_.erase(room_id);
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

bool RoomEngine::meets_allow_conditions(const StatePtr& state, const std::string& user_id) {
  // The allow conditions (client-server-api "Restricted rooms"): membership of a listed room,
  // read from the membership index so that no other room's lock is taken while this one is held.
  auto rules_event = state_event(state, "m.room.join_rules", "");
  const auto* allow = rules_event ? rules_event->content().if_contains("allow") : nullptr;
  if (!allow || !allow->is_array()) return false;
  for (const auto& entry : allow->as_array()) {
    if (!entry.is_object()) continue;
    const auto* type = entry.as_object().if_contains("type");
    const auto* allowed_room = entry.as_object().if_contains("room_id");
    if (!type || !type->is_string() || type->as_string() != "m.room_membership") continue;
    if (!allowed_room || !allowed_room->is_string()) continue;
    auto record = membership_record(std::string(allowed_room->as_string()), user_id);
    if (record && record->membership == "join") return true;
  }
  return false;
}

bool RoomEngine::knows_an_allowed_room(const StatePtr& state) {
  auto rules_event = state_event(state, "m.room.join_rules", "");
  const auto* allow = rules_event ? rules_event->content().if_contains("allow") : nullptr;
  if (!allow || !allow->is_array()) return false;
  for (const auto& entry : allow->as_array()) {
    const auto* condition = entry.if_object();
    const auto* allowed_room = condition ? condition->if_contains("room_id") : nullptr;
    // A point read, not load_room: the allowed room's state is not needed, only that it is here.
    if (allowed_room && allowed_room->is_string() &&
        database_.get(Table::roomid_room, std::string(allowed_room->as_string())))
      return true;
  }
  return false;
}

bool RoomEngine::may_authorise_restricted_join(const std::string& room_id, const std::string& user_id) {
  auto state = current_state(room_id);
  if (!state) return false;
  auto rule = join_rule(state);
  if (rule != "restricted" && rule != "knock_restricted") return false;
  auto current = membership_in(state, user_id);
  return current == "join" || current == "invite" || meets_allow_conditions(state, user_id);
}

void RoomEngine::authorise_restricted_join(const Room& room, EventDraft& join, bool for_other_server) {
  auto rule = join_rule(room.state);
  if (rule != "restricted" && rule != "knock_restricted") return;
  auto current = membership_in(room.state, join.sender);
  if (current == "join" || current == "invite" || current == "ban") return;  // the auth rules decide these
  bool satisfied = meets_allow_conditions(room.state, join.sender);
  if (!satisfied && for_other_server && !knows_an_allowed_room(room.state))
    throw ApiError(400, "M_UNABLE_TO_AUTHORISE_JOIN", "This server knows none of the rooms the join rules allow");
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
  if (for_other_server) throw ApiError(400, "M_UNABLE_TO_GRANT_JOIN", "No member of this server may authorise the join");
  throw forbidden("No member of this server may authorise the join");
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
  return persist(*room, std::move(event));
}

RoomEngine::StagedEvent RoomEngine::stage(const Room& room, std::shared_ptr<Event> event, storage::WriteBatch& batch,
                                          std::uint64_t position,
                                          const std::function<EventPtr(std::string_view)>& find_event,
                                          const Placement* placement) {
  StagedEvent staged;
  const StatePtr& before = placement ? placement->state_before : room.state;
  std::uint64_t group_before = placement ? placement->group_before : room.state_group;
  event->stream = position;
  event->state_group_before = group_before;
  event->state_group_after = group_before;
  StatePtr after = before;
  if (event->state_key) {
    StateKey key{event->type, *event->state_key};
    if (auto replaced = before->find(key); replaced != before->end()) {
      if (auto previous = find_event(replaced->second)) {
        event->replaces_state = previous->event_id;
        event->prev_sender = previous->sender;
      }
    }
    auto next = std::make_shared<StateMap>(*before);
    (*next)[key] = event->event_id;
    after = next;
    event->state_group_after = states_.add_group(batch, group_before, StateMap{{key, event->event_id}}, after);
  }
  staged.new_state = after;
  staged.new_state_group = event->state_group_after;
  staged.extremities = {event->event_id};
  if (placement && !placement->other_extremities.empty()) {
    // The room's history stays forked: its current state is the resolution of the state after
    // this event and the states after the other extremities.
    std::vector<StateMap> states{*after};
    for (const auto& id : placement->other_extremities) {
      staged.extremities.push_back(id);
      if (auto other = find_event(id)) states.push_back(*states_.load(other->state_group_after));
    }
    auto resolved = std::make_shared<StateMap>(resolve(room, states, find_event));
    StateMap changes;
    for (const auto& [key, id] : *resolved)
      if (auto it = after->find(key); it == after->end() || it->second != id) changes[key] = id;
    bool removed = std::any_of(after->begin(), after->end(), [&](const auto& entry) { return !resolved->count(entry.first); });
    if (changes.empty() && !removed) {
      staged.new_state = after;
    } else {
      staged.new_state = resolved;
      // A key resolution drops (rare) needs a group of its own rather than a delta.
      staged.new_state_group = removed ? states_.add_group(batch, 0, *resolved, resolved)
                                       : states_.add_group(batch, event->state_group_after, changes, resolved);
    }
  }

  batch.put(Table::eventid_event, event->event_id, serialize_event_record(*event));
  // A relation to an event of this room is indexed with the event; one to an unknown event or
  // another room's is kept in the event and indexed nowhere.
  if (auto relation = relation_of(*event)) {
    if (auto parent = find_event(relation->parent_id); parent && parent->room_id == room.room_id)
      relations_.stage(batch, *event, *relation, *parent);
  }
  batch.put(Table::roomstream_eventid, storage::join_key({room.room_id, storage::be64(position)}), event->event_id);
  batch.put(Table::streampos_kind, storage::be64(position), "event");
  batch.put(Table::stream_eventid, storage::be64(position), storage::join_key({room.room_id, event->event_id}));
  if (!event->txn_id.empty()) {
    auto event_redacts = redacted_event_id(*event);
    EventDraft key_source{event->type, {}, event->sender, {}, event->txn_id, event->txn_device, event_redacts};
    batch.put(Table::txn_eventid, txn_key(key_source, room.room_id), event->event_id);
  }
  // The membership index follows the room's current state.
  if (event->type == "m.room.member" && event->state_key) {
    auto current = staged.new_state->find(StateKey{"m.room.member", *event->state_key});
    if (current != staged.new_state->end() && current->second == event->event_id) staged.membership = event->membership();
  }
  if (!staged.membership.empty()) {
    MembershipRecord record{room.room_id, staged.membership, event->event_id, position};
    batch.put(Table::roomuser_membership, storage::join_key({room.room_id, *event->state_key}), membership_value(record));
    batch.put(Table::userroom_membership, storage::join_key({*event->state_key, room.room_id}), membership_value(record));
  }
  if (event->type == "m.room.redaction") staged.redacted_target = redaction_target(room, *event);
  if (staged.redacted_target)
    batch.put(Table::eventid_event, staged.redacted_target->event_id, serialize_event_record(*staged.redacted_target));
  Room updated_view;  // the room record as it will be once written
  updated_view.version = room.version;
  updated_view.forward_extremities = staged.extremities;
  updated_view.depth = std::max(room.depth, event->depth);
  updated_view.state_group = staged.new_state_group;
  batch.put(Table::roomid_room, room.room_id, room_record(updated_view));
  staged.depth = updated_view.depth;
  staged.event = std::move(event);
  return staged;
}

void RoomEngine::apply_to_room(Room& room, const StagedEvent& staged) {
  room.forward_extremities = staged.extremities;
  room.depth = staged.depth;
  room.state_group = staged.new_state_group;
  std::unique_lock view_lock(room.view_mutex);
  room.state = staged.new_state;
  if (!staged.membership.empty()) {
    const auto& user = *staged.event->state_key;
    room.joined.erase(user);
    room.invited.erase(user);
    if (staged.membership == "join") room.joined.insert(user);
    if (staged.membership == "invite") room.invited.insert(user);
  }
}

void RoomEngine::publish(const Room& room, const StagedEvent& staged, StreamTracker::Slot& slot) {
  EventPtr stored = staged.event;
  cache_event(stored);
  if (staged.redacted_target) replace_cached_event(staged.redacted_target);
  // A woken /sync reads up to the visible position, so the wake waits until the event is visible
  // (a lower position of another room may still be being written).
  if (listeners_.empty()) return;
  // Joined members see the event; invitees see changes of the state their invite shows.
  std::vector<std::string> wake;
  {
    std::lock_guard view_lock(room.view_mutex);
    wake.assign(room.joined.begin(), room.joined.end());
    if (stored->state_key) wake.insert(wake.end(), room.invited.begin(), room.invited.end());
  }
  if (!staged.membership.empty()) wake.push_back(*stored->state_key);
  slot.release([this, stored, wake = std::move(wake)]() {
    for (const auto& listener : listeners_) listener(stored, wake);
  });
}

EventPtr RoomEngine::persist(Room& room, std::shared_ptr<Event> event) {
  storage::WriteBatch batch;
  StreamTracker::Slot slot(stream_);
  auto staged = stage(room, std::move(event), batch, slot.position(), [this](std::string_view id) { return get_event(id); });
  database_.write(std::move(batch));  // durable from here on
  apply_to_room(room, staged);
  publish(room, staged, slot);
  return staged.event;
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
