#include "federation/pdu_checks.hpp"

#include <boost/json.hpp>

#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/rooms/room_engine.hpp"

namespace domovoy::federation {

namespace json = boost::json;

namespace {
[[noreturn]] void refuse(const std::string& why) { throw PduError(why); }

const json::value& field(const json::object& pdu, std::string_view name) {
  const auto* value = pdu.if_contains(name);
  if (!value) refuse("missing " + std::string(name));
  return *value;
}

std::string string_field(const json::object& pdu, std::string_view name, std::size_t max_bytes = kMaxIdentifierBytes) {
  const auto& value = field(pdu, name);
  if (!value.is_string()) refuse(std::string(name) + " must be a string");
  if (value.as_string().size() > max_bytes) refuse(std::string(name) + " is too long");
  return std::string(value.as_string());
}

void check_event_id_list(const json::object& pdu, std::string_view name, std::size_t max_entries) {
  const auto& value = field(pdu, name);
  if (!value.is_array()) refuse(std::string(name) + " must be an array");
  if (value.as_array().size() > max_entries) refuse(std::string(name) + " has more than " + std::to_string(max_entries) + " entries");
  for (const auto& id : value.as_array())
    if (!id.is_string() || id.as_string().empty() || id.as_string()[0] != '$' || id.as_string().size() > kMaxIdentifierBytes)
      refuse(std::string(name) + " holds something that is not an event id");
}
}  // namespace

std::shared_ptr<Event> parse_pdu(const json::object& pdu, const RoomVersion& version, const std::string& room_id) {
  if (!has_only_canonical_integers(pdu)) refuse("the PDU holds a float or an integer beyond 2^53");
  if (canonical_json(pdu).size() > kMaxPduBytes) refuse("the PDU is larger than 65536 bytes");
  auto type = string_field(pdu, "type");
  auto sender = string_field(pdu, "sender");
  if (!is_valid_user_id(sender)) refuse("sender is not a user id");
  bool is_create = type == "m.room.create";
  if (!(version.room_id_from_create && is_create)) {
    auto claimed = string_field(pdu, "room_id");
    if (claimed != room_id) refuse("the PDU is for another room");
  } else if (pdu.contains("room_id")) {
    refuse("a version 12 create event has no room_id");
  }
  if (const auto* key = pdu.if_contains("state_key"); key && (!key->is_string() || key->as_string().size() > kMaxIdentifierBytes))
    refuse("state_key must be a string of at most 255 bytes");
  const auto& ts = field(pdu, "origin_server_ts");
  if (!ts.is_int64() && !ts.is_uint64()) refuse("origin_server_ts must be an integer");
  const auto& depth = field(pdu, "depth");
  if (!depth.is_int64() || depth.as_int64() < 0) refuse("depth must be a non-negative integer");
  check_event_id_list(pdu, "prev_events", kMaxPrevEvents);
  check_event_id_list(pdu, "auth_events", kMaxAuthEvents);
  if (!field(pdu, "content").is_object()) refuse("content must be an object");
  const auto& hashes = field(pdu, "hashes");
  if (!hashes.is_object() || !hashes.as_object().contains("sha256") || !hashes.as_object().at("sha256").is_string())
    refuse("hashes.sha256 must be a string");
  if (!field(pdu, "signatures").is_object()) refuse("signatures must be an object");
  auto event_id = event_id_of(pdu, version);
  auto event = Event::from_pdu(pdu, event_id, room_id);
  event->pdu.erase("unsigned");  // what another server says of it is not the event
  return event;
}

boost::asio::awaitable<void> check_signatures_and_hash(KeyFetcher& keys, std::shared_ptr<Event> event,
                                                       const RoomVersion& version) {
  auto redacted = redact_event(event->pdu, version);
  std::vector<std::string> servers{std::string(server_name_of(event->sender))};
  // A restricted join is also signed by the server of the user who authorised it (v8+).
  if (event->type == "m.room.member") {
    const auto& content = event->pdu.at("content").as_object();
    if (const auto* via = content.if_contains("join_authorised_via_users_server"); via && via->is_string() &&
        is_valid_user_id(via->as_string()) && event->membership() == "join")
      servers.emplace_back(server_name_of(via->as_string()));
  }
  const auto& signatures = event->pdu.at("signatures").as_object();
  for (const auto& server : servers) {
    const auto* by_server = signatures.if_contains(server);
    if (!by_server || !by_server->is_object() || by_server->as_object().empty())
      refuse("the event is not signed by " + server);
    bool verified = false;
    for (const auto& [key_id, signature] : by_server->as_object()) {
      if (!signature.is_string() || !std::string_view(key_id).starts_with("ed25519:")) continue;
      auto finding = keys.key_for(server, std::string(key_id), event->origin_server_ts);  // GCC bug 101367
      auto key = co_await std::move(finding);
      if (!key) continue;
      if (!verify_json_signature(redacted, server, key_id, *key)) refuse("the signature of " + server + " does not verify");
      verified = true;
      break;
    }
    if (!verified) refuse("no key of " + server + " verifies the event");
  }
  if (!content_hash_matches(event->pdu)) {
    // Step 3: keep what the hash no longer vouches for out of the event.
    event->pdu = std::move(redacted);
  }
}

}  // namespace domovoy::federation
