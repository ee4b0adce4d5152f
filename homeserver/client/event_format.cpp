#include "homeserver/client/event_format.hpp"
#include "homeserver/core/clock.hpp"

#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy {

namespace {
constexpr std::size_t kMaxEditsExamined = 50;
constexpr std::size_t kMaxReferencesBundled = 100;

// client-server-api "Aggregations of child events": m.replace (the most recent edit by the
// original sender), m.thread (latest event, count, whether the viewer took part) and
// m.reference (the referring events' ids). A redacted child has lost its relation: it counts not.
json::object bundled_relations(RoomEngine& rooms, const Event& event, std::string_view viewer_user,
                               bool include_room_id) {
  json::object bundle;
  const auto& index = rooms.relations();
  if (!index.has_children(event.room_id, event.event_id)) return bundle;
  if (!event.is_state()) {
    for (const auto& child : index.children(event.room_id, event.event_id, "m.replace", 0, UINT64_MAX,
                                            kMaxEditsExamined, true)) {
      if (child.sender != event.sender || child.type != event.type) continue;
      auto edit = rooms.get_event(child.event_id);
      if (!edit || !relation_of(*edit)) continue;
      bundle["m.replace"] = client_event(rooms, *edit, viewer_user, {}, include_room_id, false);
      break;
    }
  }
  if (auto thread = index.thread(event.room_id, event.event_id)) {
    if (auto latest = rooms.get_event(thread->latest_event_id)) {
      bool took_part = index.took_part(event.room_id, event.event_id, std::string(viewer_user));
      bundle["m.thread"] = json::object{{"latest_event", client_event(rooms, *latest, viewer_user, {}, include_room_id, false)},
                                        {"count", thread->count},
                                        {"current_user_participated", took_part}};
    }
  }
  json::array references;
  for (const auto& child : index.children(event.room_id, event.event_id, "m.reference", 0, UINT64_MAX,
                                          kMaxReferencesBundled, false)) {
    auto referring = rooms.get_event(child.event_id);
    if (referring && relation_of(*referring)) references.push_back(json::object{{"event_id", child.event_id}});
  }
  if (!references.empty()) bundle["m.reference"] = json::object{{"chunk", std::move(references)}};
  return bundle;
}
}  // namespace

json::object client_event(RoomEngine& rooms, const Event& event, std::string_view viewer_user,
                          std::string_view viewer_device, bool include_room_id, bool bundle_relations) {
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
  if (bundle_relations && !event.redacted_because) {
    auto bundle = bundled_relations(rooms, event, viewer_user, include_room_id);
    if (!bundle.empty()) unsigned_data["m.relations"] = std::move(bundle);
  }
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
