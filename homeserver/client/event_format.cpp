#include "homeserver/client/event_format.hpp"
#include "homeserver/core/clock.hpp"

#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy {

json::object client_event(RoomEngine& rooms, const Event& event, std::string_view viewer_user,
                          std::string_view viewer_device, bool include_room_id) {
  json::object out{{"type", event.type},
                   {"content", event.content()},
                   {"sender", event.sender},
                   {"event_id", event.event_id},
                   {"origin_server_ts", event.origin_server_ts}};
  if (include_room_id) out["room_id"] = event.room_id;
  if (event.state_key) out["state_key"] = *event.state_key;
  // Clients of every version read `redacts` at the top level; v11+ PDUs carry it in content.
  if (const auto* redacts = event.content().if_contains("redacts")) out["redacts"] = *redacts;
  else if (const auto* top = event.pdu.if_contains("redacts")) out["redacts"] = *top;
  json::object unsigned_data{{"age", std::max<std::int64_t>(0, now_ms() - event.origin_server_ts)}};
  if (!event.replaces_state.empty()) {
    // As the replaced event is now: a redaction of it leaves only what the algorithm keeps.
    if (auto replaced = rooms.get_event(event.replaces_state)) unsigned_data["prev_content"] = replaced->content();
    unsigned_data["replaces_state"] = event.replaces_state;
    unsigned_data["prev_sender"] = event.prev_sender;
  }
  if (!event.txn_id.empty() && viewer_user == event.sender && viewer_device == event.txn_device)
    unsigned_data["transaction_id"] = event.txn_id;
  if (event.redacted_because) unsigned_data["redacted_because"] = *event.redacted_because;
  out["unsigned"] = std::move(unsigned_data);
  return out;
}

json::object stripped_state_event(const Event& event) {
  return {{"type", event.type},
          {"state_key", event.state_key.value_or("")},
          {"content", event.content()},
          {"sender", event.sender}};
}

}  // namespace domovoy
