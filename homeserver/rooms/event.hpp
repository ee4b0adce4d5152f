#pragma once
// An event as the room engine holds it: the signed PDU plus the facts this server keeps beside it.
#include <boost/json/object.hpp>

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "homeserver/events/room_version.hpp"

namespace domovoy {

struct StateKey {
  std::string type;
  std::string state_key;
  auto operator<=>(const StateKey&) const = default;
};

struct Event {
  boost::json::object pdu;  // exactly as hashed and signed
  std::string event_id;
  std::string room_id;      // also for a v12 create event, whose PDU has none
  std::string type;
  std::string sender;
  std::optional<std::string> state_key;
  std::int64_t origin_server_ts = 0;
  std::int64_t depth = 0;

  // Local bookkeeping, not part of the PDU.
  std::uint64_t stream = 0;               // position in this server's event stream
  std::uint64_t state_group_before = 0;   // room state before the event
  std::uint64_t state_group_after = 0;    // room state after it (same as before for non-state events)
  // The state event this one replaced. Its content (clients' unsigned.prev_content) is read from
  // that event when serving, never copied here, so that redacting it hides it everywhere.
  std::string replaces_state;
  std::string prev_sender;
  std::string txn_id;                     // the client's transaction id, echoed to the sending device only
  std::string txn_device;
  // Federation: an event from another server that failed its auth checks (kept so it is not
  // fetched again, never served as accepted, never state); one that passed against its own
  // state but not against the room's current state (soft-failed: kept, not in the timeline, not
  // a prev_event); one known only as state or auth chain of another (an outlier: no timeline
  // position).
  bool rejected = false;
  bool soft_failed = false;
  bool outlier = false;
  // Another server's membership event this server accepted through send_join, send_leave or
  // send_knock: this server, the resident, sends it on to the other servers in the room.
  bool relay = false;
  std::string redacted_by;                // the m.room.redaction applied to this event, if any
  std::optional<boost::json::object> redacted_content;  // content as the redaction algorithm leaves it
  std::optional<boost::json::object> redacted_because;  // the redaction, as clients see it in `unsigned`

  // The content as the room sees it: after a redaction, what the redaction algorithm kept.
  const boost::json::object& content() const;
  bool is_state() const { return state_key.has_value(); }
  // content.membership of an m.room.member event, "" otherwise.
  std::string membership() const;

  // Parses a PDU whose event id and room id are already known (fields are validated).
  static std::shared_ptr<Event> from_pdu(boost::json::object pdu, std::string event_id, std::string room_id);
};

using EventPtr = std::shared_ptr<const Event>;

// Record kept in storage: the PDU and the bookkeeping above.
std::string serialize_event_record(const Event& event);
std::shared_ptr<Event> parse_event_record(std::string_view record, std::string_view event_id);

}  // namespace domovoy
