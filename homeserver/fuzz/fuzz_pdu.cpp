// libFuzzer target: PDUs. The input is parsed as JSON; an object goes through Event::from_pdu,
// the redaction algorithm, content and reference hashes, signing, the auth rules (against an
// empty state and a small fixed room) and auth event selection, for room versions 10, 11, 12.
// Invariants checked besides "no crash, no sanitizer report":
//   - redaction is idempotent and keeps only keys the algorithm allows;
//   - the reference hash of an event equals that of its redaction;
//   - an event this server hashes and signs verifies and its content hash matches;
//   - the stored event record of a canonical PDU round-trips.
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/fuzz/fuzz_common.hpp"
#include "homeserver/rooms/auth_rules.hpp"
#include "homeserver/rooms/event.hpp"

using namespace domovoy;

namespace {

const std::set<std::string_view> kTopLevelV11 = {"event_id", "type",   "room_id",     "sender",
                                                 "state_key", "content", "hashes",     "signatures",
                                                 "depth",    "prev_events", "auth_events", "origin_server_ts"};
const std::set<std::string_view> kTopLevelV10Extra = {"origin", "membership", "prev_state"};

// A small room per version: create, the creator joined, power levels, public join rules, alice
// joined, bob invited, a third-party invite.
struct FixedRoom {
  std::string room_id;
  std::map<StateKey, EventPtr> state;
  std::vector<EventPtr> events;

  explicit FixedRoom(const RoomVersion& version) {
    const std::string creator = "@creator:fuzz.example";
    json::object create{{"type", "m.room.create"},
                        {"state_key", ""},
                        {"sender", creator},
                        {"content", json::object{{"room_version", version.id}, {"creator", creator}}},
                        {"origin_server_ts", 1},
                        {"depth", 1},
                        {"prev_events", json::array{}},
                        {"auth_events", json::array{}}};
    if (!version.room_id_from_create) create["room_id"] = "!room:fuzz.example";
    auto create_id = event_id_of(create, version);
    room_id = version.room_id_from_create ? "!" + create_id.substr(1) : std::string("!room:fuzz.example");
    add(Event::from_pdu(create, create_id, room_id));
    int n = 0;
    auto state_event = [&](std::string type, std::string key, std::string sender, json::object content) {
      json::object pdu{{"type", type},       {"state_key", key}, {"sender", sender}, {"content", content},
                       {"room_id", room_id}, {"depth", 2 + n},   {"origin_server_ts", 2 + n},
                       {"prev_events", json::array{}}, {"auth_events", json::array{}}};
      add(Event::from_pdu(pdu, "$fixed" + std::to_string(++n), room_id));
    };
    state_event("m.room.member", creator, creator, {{"membership", "join"}});
    json::object users{{"@mod:fuzz.example", 50}};
    if (!version.room_id_from_create) users[creator] = 100;
    state_event("m.room.power_levels", "", creator, {{"users", users}, {"invite", 0}});
    state_event("m.room.join_rules", "", creator, {{"join_rule", "public"}});
    state_event("m.room.member", "@alice:fuzz.example", "@alice:fuzz.example", {{"membership", "join"}});
    state_event("m.room.member", "@mod:fuzz.example", "@mod:fuzz.example", {{"membership", "join"}});
    state_event("m.room.member", "@bob:other.example", creator, {{"membership", "invite"}});
    state_event("m.room.third_party_invite", "tok", creator, {{"display_name", "x"}, {"public_key", "AAAA"}});
  }
  void add(const std::shared_ptr<Event>& event) {
    state[{event->type, *event->state_key}] = event;
    events.push_back(event);
  }
  StateLookup lookup() const {
    return [this](std::string_view type, std::string_view key) -> EventPtr {
      auto it = state.find({std::string(type), std::string(key)});
      return it == state.end() ? nullptr : it->second;
    };
  }
};

const SigningKey& signing_key() {
  static const SigningKey key = SigningKey::from_seed(std::string(32, '\x42'), "ed25519:fuzz");
  return key;
}

void check_redaction(const json::object& pdu, const RoomVersion& version) {
  auto redacted = redact_event(pdu, version);
  for (const auto& member : redacted) {
    auto key = std::string_view(member.key());
    if (!kTopLevelV11.count(key) && (version.v11_redaction || !kTopLevelV10Extra.count(key)))
      fuzz::fail("redaction kept a top-level key it must strip");
  }
  if (!redacted.contains("content") || !redacted.at("content").is_object()) fuzz::fail("redacted content is not an object");
  if (redact_event(redacted, version) != redacted) fuzz::fail("redaction is not idempotent");

  std::string hash;
  try {
    hash = reference_hash(pdu, version);
  } catch (const NotCanonical&) {
    return;
  }
  if (hash.size() != 32) fuzz::fail("reference hash is not 32 bytes");
  if (reference_hash(redacted, version) != hash) fuzz::fail("reference hash changes under redaction");
  if (event_id_of(pdu, version).size() != 44) fuzz::fail("event id is not $ + 43 characters");
}

void check_signing(const json::object& pdu, const RoomVersion& version) {
  json::object event = pdu;
  try {
    (void)content_hash(event);
    hash_and_sign_event(event, version, "fuzz.example", signing_key());
  } catch (const NotCanonical&) {
    return;
  }
  if (!content_hash_matches(event)) fuzz::fail("content hash of a freshly hashed event does not match");
  if (!verify_json_signature(redact_event(event, version), "fuzz.example", signing_key().key_id(),
                             signing_key().public_key_base64()))
    fuzz::fail("signature of a freshly signed event does not verify");
}

void check_event(const json::object& pdu, const RoomVersion& version, const FixedRoom& room) {
  std::shared_ptr<Event> event;
  try {
    std::string room_id = room.room_id;
    if (const auto* id = pdu.if_contains("room_id"); id && id->is_string()) room_id = id->as_string();
    event = Event::from_pdu(pdu, "$fuzz:fuzz.example", room_id);
  } catch (const std::invalid_argument&) {
    return;
  }
  (void)event->membership();
  (void)event->content();
  auto empty = [](std::string_view, std::string_view) { return EventPtr{}; };
  auto alone = check_auth_rules(*event, version, empty);
  if (!alone.allowed && alone.reason.empty()) fuzz::fail("refusal without a reason");
  auto in_room = check_auth_rules(*event, version, room.lookup());
  if (!in_room.allowed && in_room.reason.empty()) fuzz::fail("refusal without a reason");
  auto keys = auth_event_keys(*event, version);
  if (!std::is_sorted(keys.begin(), keys.end()) || std::adjacent_find(keys.begin(), keys.end()) != keys.end())
    fuzz::fail("auth_event_keys is not sorted and unique");
  // Select the auth events as a server would, and check their shape: that selection must pass
  // unless the event is a create event (which has none) in v10/v11.
  std::vector<EventPtr> selected;
  for (const auto& key : keys)
    if (auto it = room.state.find(key); it != room.state.end()) selected.push_back(it->second);
  auto shape = check_auth_events_shape(*event, selected, version);
  if (!shape.allowed && event->room_id == room.room_id && event->type != "m.room.create" && !keys.empty())
    fuzz::fail("the auth events the selection picks fail the shape check");
  (void)check_auth_events_shape(*event, room.events, version);

  // The storage record round-trips (for PDUs the room engine would store: canonical integers
  // only; doubles do not survive Boost.JSON 1.81's imprecise parsing bit for bit).
  if (!has_only_canonical_integers(pdu)) return;
  auto record = serialize_event_record(*event);
  auto parsed = parse_event_record(record, event->event_id);
  if (parsed->pdu != event->pdu || parsed->room_id != event->room_id || parsed->type != event->type ||
      parsed->sender != event->sender || parsed->state_key != event->state_key)
    fuzz::fail("event record does not round-trip");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) fuzz::fail("libsodium failed to initialise");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::array<const RoomVersion*, 3> kVersions = {find_room_version("10"), find_room_version("11"),
                                                              find_room_version("12")};
  static const std::array<FixedRoom, 3> kRooms = {FixedRoom(*kVersions[0]), FixedRoom(*kVersions[1]),
                                                  FixedRoom(*kVersions[2])};
  json::value value;
  try {
    value = parse_untrusted_json(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const ApiError&) {
    return 0;
  }
  if (!value.is_object()) return 0;
  const auto& pdu = value.get_object();
  for (std::size_t i = 0; i < kVersions.size(); ++i) {
    check_redaction(pdu, *kVersions[i]);
    check_signing(pdu, *kVersions[i]);
    check_event(pdu, *kVersions[i], kRooms[i]);
  }
  try {
    (void)content_hash_matches(pdu);
  } catch (const NotCanonical&) {
    // A predicate that throws for a PDU holding a float: homeserver/tests/FINDINGS.md F6.
  }
  return 0;
}
