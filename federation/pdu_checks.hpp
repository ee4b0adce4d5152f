#pragma once
// The first checks of a PDU from another server (server-server-api "Checks performed on receipt
// of a PDU", steps 1-3, and "Validating hashes and signatures on received events"): the format
// its room version requires, the signatures of the servers that must sign it, and its content
// hash — an event whose hash does not match is kept in its redacted form. The auth checks (steps
// 4-6) are the room engine's (RoomEngine::accept_remote_event).
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "federation/key_fetcher.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/rooms/event.hpp"

namespace domovoy::federation {

class PduError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMaxPrevEvents = 20;
inline constexpr std::size_t kMaxAuthEvents = 10;

// Step 1: the PDU's format for `version` (required fields and types, identifiers, sizes, at
// most 20 prev_events and 10 auth_events, canonical integers, 65,536 bytes at most), its event
// id computed from its reference hash. `room_id` is the room it is meant for. Throws PduError.
std::shared_ptr<Event> parse_pdu(const boost::json::object& pdu, const RoomVersion& version, const std::string& room_id);

// Steps 2-3: signed by the sender's server (and, for a restricted join, by the server of the
// user who authorised it), each signature by a key valid when the event was sent; the content
// hash checked, and the event replaced by its redacted form on a mismatch. Throws PduError when
// a signature is missing or wrong.
boost::asio::awaitable<void> check_signatures_and_hash(KeyFetcher& keys, std::shared_ptr<Event> event,
                                                       const RoomVersion& version);

}  // namespace domovoy::federation
