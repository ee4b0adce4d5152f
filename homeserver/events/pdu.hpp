#pragma once
// Persistent Data Units: the redaction algorithm, content and reference hashes, event ids and
// signing (server-server-api.md: "Signing Events", "Calculating the reference hash").
#include <boost/json/object.hpp>

#include <string>

#include "homeserver/events/room_version.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy {

// The event as the redaction algorithm of `version` leaves it.
boost::json::object redact_event(const boost::json::object& event, const RoomVersion& version);

// sha256 over the canonical event without unsigned, signatures and hashes; unpadded Base64.
std::string content_hash(const boost::json::object& event);
// sha256 over the canonical redacted event without signatures and unsigned; raw bytes.
std::string reference_hash(const boost::json::object& event, const RoomVersion& version);
// "$" + URL-safe unpadded Base64 of the reference hash (room versions 4+).
std::string event_id_of(const boost::json::object& event, const RoomVersion& version);
// Room version 12: the room id of the room this create event makes ("!" + its reference hash).
std::string room_id_from_create_event(const boost::json::object& create_event, const RoomVersion& version);

// Fills `hashes.sha256` and adds this server's signature over the redacted event, as a server
// does for an event it creates. Returns the event id.
std::string hash_and_sign_event(boost::json::object& event, const RoomVersion& version, std::string_view server_name,
                                const SigningKey& key);

// Checks the content hash a PDU carries against its content.
bool content_hash_matches(const boost::json::object& event);

}  // namespace domovoy
