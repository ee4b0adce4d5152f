#include "homeserver/rooms/event.hpp"

#include "homeserver/core/json.hpp"

namespace domovoy {

namespace {
const json::object kEmptyObject;
}

const json::object& Event::content() const {
  if (redacted_content) return *redacted_content;
  const auto* value = pdu.if_contains("content");
  return value && value->is_object() ? value->as_object() : kEmptyObject;
}

std::string Event::membership() const {
  if (type != "m.room.member") return {};
  const auto* value = content().if_contains("membership");
  return value && value->is_string() ? std::string(value->as_string()) : std::string{};
}

std::shared_ptr<Event> Event::from_pdu(json::object pdu, std::string event_id, std::string room_id) {
  auto event = std::make_shared<Event>();
  auto get_string = [&](std::string_view key) -> std::string {
    const auto* value = pdu.if_contains(key);
    if (!value || !value->is_string()) throw std::invalid_argument("PDU field '" + std::string(key) + "' is missing");
    return std::string(value->as_string());
  };
  event->type = get_string("type");
  event->sender = get_string("sender");
  if (const auto* key = pdu.if_contains("state_key")) {
    if (!key->is_string()) throw std::invalid_argument("PDU state_key must be a string");
    event->state_key = std::string(key->as_string());
  }
  if (const auto* ts = pdu.if_contains("origin_server_ts")) event->origin_server_ts = as_integer(*ts).value_or(0);
  if (const auto* depth = pdu.if_contains("depth")) event->depth = as_integer(*depth).value_or(0);
  event->pdu = std::move(pdu);
  event->event_id = std::move(event_id);
  event->room_id = std::move(room_id);
  return event;
}

std::string serialize_event_record(const Event& event) {
  json::object record{{"room_id", event.room_id},
                      {"stream", event.stream},
                      {"sg_before", event.state_group_before},
                      {"sg_after", event.state_group_after}};
  if (!event.replaces_state.empty()) {
    record["replaces_state"] = event.replaces_state;
    record["prev_sender"] = event.prev_sender;
  }
  if (!event.txn_id.empty()) {
    record["txn_id"] = event.txn_id;
    record["txn_device"] = event.txn_device;
  }
  if (event.rejected) record["rejected"] = true;
  if (event.soft_failed) record["soft_failed"] = true;
  if (event.outlier) record["outlier"] = true;
  if (event.relay) record["relay"] = true;
  if (!event.redacted_by.empty()) {
    record["redacted_by"] = event.redacted_by;
    record["redacted_content"] = event.redacted_content.value_or(json::object{});
    record["redacted_because"] = event.redacted_because.value_or(json::object{});
  }
  // {"pdu":<pdu>,<the rest>}: spliced as text so the PDU is not copied into the record object.
  auto rest = to_json(record);
  std::string out = "{\"pdu\":" + json::serialize(event.pdu);
  if (rest.size() > 2) {
    out.push_back(',');
    out.append(rest, 1, std::string::npos);
  } else {
    out.push_back('}');
  }
  return out;
}

std::shared_ptr<Event> parse_event_record(std::string_view record_text, std::string_view event_id) {
  auto record = parse_stored_json(record_text).as_object();
  auto event = Event::from_pdu(std::move(record["pdu"].as_object()), std::string(event_id),
                               std::string(record["room_id"].as_string()));
  event->stream = record["stream"].to_number<std::uint64_t>();
  event->state_group_before = record["sg_before"].to_number<std::uint64_t>();
  event->state_group_after = record["sg_after"].to_number<std::uint64_t>();
  // Records written before 0.1 also hold a copy of prev_content: it is ignored (see event.hpp).
  if (auto* replaces = record.if_contains("replaces_state")) {
    event->replaces_state = replaces->as_string();
    event->prev_sender = record["prev_sender"].as_string();
  }
  if (auto* txn = record.if_contains("txn_id")) {
    event->txn_id = txn->as_string();
    event->txn_device = record["txn_device"].as_string();
  }
  event->rejected = record.contains("rejected");
  event->soft_failed = record.contains("soft_failed");
  event->outlier = record.contains("outlier");
  event->relay = record.contains("relay");
  if (auto* redacted_by = record.if_contains("redacted_by")) {
    event->redacted_by = redacted_by->as_string();
    event->redacted_content = record["redacted_content"].as_object();
    event->redacted_because = record["redacted_because"].as_object();
  }
  return event;
}

}  // namespace domovoy
