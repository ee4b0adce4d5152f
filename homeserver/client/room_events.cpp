// Sending and reading room events: send, state (all, one, put), event, context, messages.
#include "homeserver/client/event_format.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/rooms/power_levels.hpp"
#include "homeserver/rooms/relation_index.hpp"
#include "homeserver/sync/filter.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxEventTypeBytes = 255;
constexpr std::size_t kMaxEventsExaminedPerPage = 2000;

// room_send.yaml, "Avoiding duplicate annotations": a user annotates an event with one type and
// key once, unless that annotation was redacted; a retry of its own transaction is no second one.
void refuse_duplicate_annotation(ClientServices& services, const http::Request& request, const std::string& room_id,
                                 const std::string& type, const json::object& content) {
  auto relation = relation_of(content);
  if (!relation || relation->rel_type != "m.annotation" || relation->key.empty()) return;
  auto existing_id = services.rooms.relations().annotation(room_id, relation->parent_id, type, request.user_id,
                                                           relation->key);
  if (!existing_id) return;
  auto existing = services.rooms.get_event(*existing_id);
  if (!existing || !existing->redacted_by.empty()) return;
  if (existing->txn_id == request.path_params[2] && existing->txn_device == request.device_id) return;
  throw ApiError(400, "M_DUPLICATE_ANNOTATION", "You have already annotated this event with " + relation->key);
}

void check_event_type(const std::string& type) {
  if (type.empty() || type.size() > kMaxEventTypeBytes) throw invalid_param("Invalid event type");
}

// The state the user may read: current when joined, at their leave when they left.
StatePtr readable_state(ClientServices& services, const std::string& room_id, const std::string& user_id) {
  require_room(services, room_id);
  auto membership = services.rooms.current_membership(room_id, user_id);
  if (membership == "join") return services.rooms.current_state(room_id);
  auto record = services.rooms.membership_record(room_id, user_id);
  auto world_readable = [&] {
    auto state = services.rooms.current_state(room_id);
    auto visibility = services.rooms.state_event(state, "m.room.history_visibility", "");
    if (!visibility) return false;
    const auto* value = visibility->content().if_contains("history_visibility");
    return value && value->is_string() && value->as_string() == "world_readable";
  };
  if (world_readable()) return services.rooms.current_state(room_id);
  // A former member reads the state as it was when they left.
  if (record && readable_until(services, room_id, user_id)) {
    auto event = services.rooms.get_event(record->event_id);
    if (event) return services.rooms.state_at_group(event->state_group_after);
  }
  throw forbidden("You are not a member of this room");
}

http::Response get_state_event(ClientServices& services, http::Request& request, const std::string& state_key) {
  const auto& room_id = request.path_params[0];
  auto state = readable_state(services, room_id, request.user_id);
  auto event = services.rooms.state_event(state, request.path_params[1], state_key);
  if (!event) throw not_found("Event not found");
  if (request.query_param("format").value_or("content") == "event")
    return http::Response::json(client_event(services.rooms, *event, request.user_id, request.device_id));
  return http::Response::json(event->content());
}

// room_state.yaml: listed aliases must be valid and, where this server can tell, point here.
void check_canonical_alias(ClientServices& services, const std::string& room_id, const json::object& content) {
  std::vector<std::string> aliases;
  if (auto alias = optional_string(content, "alias")) aliases.push_back(*alias);
  if (const auto* alternatives = content.if_contains("alt_aliases")) {
    if (!alternatives->is_array()) throw invalid_param("alt_aliases must be an array");
    for (const auto& alias : alternatives->as_array()) {
      if (!alias.is_string()) throw invalid_param("alt_aliases must hold strings");
      aliases.emplace_back(alias.as_string());
    }
  }
  for (const auto& alias : aliases) {
    if (!is_valid_room_alias(alias)) throw invalid_param("Invalid room alias " + alias);
    if (server_name_of(alias) != services.config.server_name) continue;
    auto target = lookup_alias(services, alias);
    if (!target || *target != room_id) throw ApiError(400, "M_BAD_ALIAS", "Alias " + alias + " does not point to this room");
  }
}

http::Response put_state_event(ClientServices& services, http::Request& request, const std::string& state_key) {
  const auto& room_id = request.path_params[0];
  const auto& type = request.path_params[1];
  check_event_type(type);
  auto content = request.json_body();
  require_room(services, room_id);
  if (type == "m.room.member") {
    if (!is_valid_user_id(state_key)) throw invalid_param("The state key of m.room.member must be a user id");
    auto event = services.room_service.change_membership(room_id, request.user_id, state_key, std::move(content));
    return http::Response::json(json::object{{"event_id", event->event_id}});
  }
  if (type == "m.room.canonical_alias") check_canonical_alias(services, room_id, content);
  auto event = services.rooms.send(room_id, EventDraft{type, state_key, request.user_id, std::move(content), {}, {}});
  return http::Response::json(json::object{{"event_id", event->event_id}});
}

std::optional<EventFilter> filter_param(const http::Request& request) {
  auto text = request.query_param("filter");
  if (!text || text->empty()) return std::nullopt;
  return parse_event_filter(parse_json_object(*text));
}

// Member events of the senders of `events`, from the state at the first of them.
json::array lazy_members(ClientServices& services, const std::vector<EventPtr>& events, const StatePtr& state,
                         const http::Request& request) {
  std::set<std::string> senders;
  for (const auto& event : events) senders.insert(event->sender);
  json::array members;
  for (const auto& sender : senders)
    if (auto member = services.rooms.state_event(state, "m.room.member", sender))
      members.push_back(client_event(services.rooms, *member, request.user_id, request.device_id));
  return members;
}

}  // namespace

void register_room_event_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::put, "/rooms/{roomId}/send/{eventType}/{txnId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      const auto& type = request.path_params[1];
                      check_event_type(type);
                      auto content = request.json_body();
                      require_room(services, room_id);
                      refuse_duplicate_annotation(services, request, room_id, type, content);
                      auto event = services.rooms.send(
                          room_id, EventDraft{type, std::nullopt, request.user_id, std::move(content),
                                              request.path_params[2], request.device_id});
                      return http::Response::json(json::object{{"event_id", event->event_id}});
                    });

  router.add_client(verb::put, "/rooms/{roomId}/redact/{eventId}/{txnId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      const auto& target_id = request.path_params[1];
                      auto body = request.json_body();
                      require_joined(services, room_id, request.user_id);
                      auto target = services.rooms.get_event(target_id);
                      if (!target || target->room_id != room_id) throw not_found("Event not found");
                      if (target->sender != request.user_id) {
                        // Redacting someone else's event needs the redact level (rooms: "Handling redactions").
                        auto state = services.rooms.current_state(room_id);
                        auto create = services.rooms.state_event(state, "m.room.create", "");
                        auto power_event = services.rooms.state_event(state, "m.room.power_levels", "");
                        PowerLevels power(create.get(), power_event.get(), *services.rooms.room_version(room_id));
                        if (power.user_level(request.user_id) < power.redact())
                          throw forbidden("You may not redact other users' events");
                      }
                      json::object content;
                      if (auto reason = optional_string(body, "reason")) content["reason"] = *reason;
                      EventDraft draft{"m.room.redaction", std::nullopt, request.user_id, std::move(content),
                                       request.path_params[2], request.device_id, target_id};
                      auto event = services.rooms.send(room_id, draft);
                      return http::Response::json(json::object{{"event_id", event->event_id}});
                    });

  router.add_client(verb::get, "/rooms/{roomId}/state", http::Auth::required, [&services](http::Request& request) {
    auto state = readable_state(services, request.path_params[0], request.user_id);
    json::array events;
    for (const auto& [key, event_id] : *state)
      if (auto event = services.rooms.get_event(event_id))
        events.push_back(client_event(services.rooms, *event, request.user_id, request.device_id));
    return http::Response::json(std::move(events));
  });
  router.add_client(verb::get, "/rooms/{roomId}/state/{eventType}", http::Auth::required,
                    [&services](http::Request& request) { return get_state_event(services, request, ""); });
  router.add_client(verb::get, "/rooms/{roomId}/state/{eventType}/", http::Auth::required,
                    [&services](http::Request& request) { return get_state_event(services, request, ""); });
  router.add_client(verb::get, "/rooms/{roomId}/state/{eventType}/{stateKey}", http::Auth::required,
                    [&services](http::Request& request) {
                      return get_state_event(services, request, request.path_params[2]);
                    });
  router.add_client(verb::put, "/rooms/{roomId}/state/{eventType}", http::Auth::required,
                    [&services](http::Request& request) { return put_state_event(services, request, ""); });
  router.add_client(verb::put, "/rooms/{roomId}/state/{eventType}/", http::Auth::required,
                    [&services](http::Request& request) { return put_state_event(services, request, ""); });
  router.add_client(verb::put, "/rooms/{roomId}/state/{eventType}/{stateKey}", http::Auth::required,
                    [&services](http::Request& request) {
                      return put_state_event(services, request, request.path_params[2]);
                    });

  router.add_client(verb::get, "/rooms/{roomId}/event/{eventId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      require_room(services, room_id);
                      auto event = services.rooms.get_event(request.path_params[1]);
                      if (!event || event->room_id != room_id || !can_see_event(services, request.user_id, *event))
                        throw not_found("Event not found");
                      return http::Response::json(client_event(services.rooms, *event, request.user_id, request.device_id));
                    });

  router.add_client(verb::get, "/rooms/{roomId}/context/{eventId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      require_room(services, room_id);
                      auto event = services.rooms.get_event(request.path_params[1]);
                      if (!event || event->room_id != room_id || !can_see_event(services, request.user_id, *event))
                        throw not_found("Event not found");
                      std::size_t limit = 10;
                      if (auto text = request.query_param("limit")) {
                        try {
                          limit = std::min<std::size_t>(std::stoul(*text), 100);
                        } catch (const std::exception&) {
                          throw invalid_param("limit must be an integer");
                        }
                      }
                      auto filter = filter_param(request);
                      auto until = readable_until(services, room_id, request.user_id)
                                       .value_or(services.rooms.current_stream());  // world-readable rooms
                      std::size_t before_count = limit / 2;
                      std::size_t after_count = limit - before_count;
                      auto ignored = ignored_users(services, request.user_id);
                      auto keep = [&](const EventPtr& candidate) {
                        return (!filter || filter->matches(*candidate)) && !hidden_by_ignore(ignored, *candidate) &&
                               can_see_event(services, request.user_id, *candidate);
                      };
                      std::vector<EventPtr> before, after;
                      for (const auto& candidate :
                           services.rooms.room_events(room_id, 0, event->stream - 1, before_count * 4 + 10, true)) {
                        if (before.size() >= before_count) break;
                        if (keep(candidate)) before.push_back(candidate);
                      }
                      for (const auto& candidate :
                           services.rooms.room_events(room_id, event->stream, until, after_count * 4 + 10, false)) {
                        if (after.size() >= after_count) break;
                        if (keep(candidate)) after.push_back(candidate);
                      }
                      json::array before_json, after_json, state_json;
                      for (const auto& e : before) before_json.push_back(client_event(services.rooms, *e, request.user_id, request.device_id));
                      for (const auto& e : after) after_json.push_back(client_event(services.rooms, *e, request.user_id, request.device_id));
                      auto last = after.empty() ? event : after.back();
                      auto state = services.rooms.state_at_group(last->state_group_after);
                      if (filter && filter->lazy_load_members) {
                        std::vector<EventPtr> all(before);
                        all.push_back(event);
                        all.insert(all.end(), after.begin(), after.end());
                        state_json = lazy_members(services, all, state, request);
                      } else {
                        for (const auto& [key, id] : *state)
                          if (auto state_event = services.rooms.get_event(id))
                            state_json.push_back(client_event(services.rooms, *state_event, request.user_id, request.device_id));
                      }
                      auto start = before.empty() ? event->stream - 1 : before.back()->stream - 1;
                      auto end = after.empty() ? event->stream : after.back()->stream;
                      return http::Response::json(json::object{
                          {"event", client_event(services.rooms, *event, request.user_id, request.device_id)},
                          {"events_before", std::move(before_json)},
                          {"events_after", std::move(after_json)},
                          {"state", std::move(state_json)},
                          {"start", stream_token(start)},
                          {"end", stream_token(end)}});
                    });

  // GET /v1/rooms/{roomId}/timestamp_to_event (timestamp_to_event.yaml): the event closest to
  // `ts` in the direction asked that the user may see. Walks the timeline from the end it starts
  // at, at most kMaxEventsExaminedForTimestamp events.
  router.add(verb::get, "/_matrix/client/v1/rooms/{roomId}/timestamp_to_event", http::Auth::required,
             [&services](http::Request& request) {
               const auto& room_id = request.path_params[0];
               require_room(services, room_id);
               auto until = readable_until(services, room_id, request.user_id);
               if (!until) throw forbidden("You are not a member of this room");
               auto ts_text = request.query_param("ts");
               if (!ts_text) throw missing_param("Missing 'ts'");
               std::int64_t ts = 0;
               try {
                 std::size_t used = 0;
                 ts = std::stoll(*ts_text, &used);
                 if (used != ts_text->size()) throw std::invalid_argument("trailing");
               } catch (const std::exception&) {
                 throw invalid_param("ts must be an integer");
               }
               auto dir = request.query_param("dir").value_or("");
               if (dir != "f" && dir != "b") throw invalid_param("dir must be f or b");
               bool forwards = dir == "f";
               constexpr std::size_t kMaxEventsExaminedForTimestamp = 100000;
               constexpr std::size_t kPage = 200;
               std::size_t examined = 0;
               std::uint64_t cursor = forwards ? 0 : *until;
               EventPtr best;
               while (examined < kMaxEventsExaminedForTimestamp) {
                 auto page = forwards ? services.rooms.room_events(room_id, cursor, *until, kPage, false)
                                      : services.rooms.room_events(room_id, 0, cursor, kPage, true);
                 if (page.empty()) break;
                 for (const auto& event : page) {
                   ++examined;
                   cursor = forwards ? event->stream : event->stream - 1;
                   bool matches = forwards ? event->origin_server_ts >= ts : event->origin_server_ts <= ts;
                   if (matches && can_see_event(services, request.user_id, *event)) {
                     best = event;
                     break;
                   }
                 }
                 if (best || page.size() < kPage) break;
               }
               if (!best) throw not_found("No event found in that direction");
               return http::Response::json(
                   json::object{{"event_id", best->event_id}, {"origin_server_ts", best->origin_server_ts}});
             });

  router.add_client(verb::get, "/rooms/{roomId}/messages", http::Auth::required, [&services](http::Request& request) {
    const auto& room_id = request.path_params[0];
    require_room(services, room_id);
    auto until = readable_until(services, room_id, request.user_id);
    bool world_readable = false;
    {
      auto state = services.rooms.current_state(room_id);
      if (auto visibility = services.rooms.state_event(state, "m.room.history_visibility", "")) {
        const auto* value = visibility->content().if_contains("history_visibility");
        world_readable = value && value->is_string() && value->as_string() == "world_readable";
      }
    }
    if (!until && !world_readable) throw forbidden("You are not a member of this room");
    auto ignored = ignored_users(services, request.user_id);
    std::uint64_t ceiling = until.value_or(services.rooms.current_stream());
    auto dir = request.query_param("dir").value_or("b");
    if (dir != "b" && dir != "f") throw invalid_param("dir must be b or f");
    bool backwards = dir == "b";
    std::size_t limit = 10;
    if (auto text = request.query_param("limit")) {
      try {
        limit = std::clamp<std::size_t>(std::stoul(*text), 1, 1000);
      } catch (const std::exception&) {
        throw invalid_param("limit must be an integer");
      }
    }
    std::uint64_t from = backwards ? ceiling : 0;
    std::string from_token = stream_token(from);
    if (auto token = request.query_param("from"); token && !token->empty()) {
      from = parse_stream_token(*token);
      from_token = *token;  // message_pagination.yaml: `start` is the value given in `from`
    }
    std::optional<std::uint64_t> to;
    if (auto token = request.query_param("to"); token && !token->empty()) to = parse_stream_token(*token);
    auto filter = filter_param(request);
    if (filter && filter->limit) limit = std::min(limit, *filter->limit);

    std::vector<EventPtr> chunk;
    std::uint64_t cursor = from;
    bool exhausted = false;
    // A filter that matches nothing must not walk the whole room in one request: past this many
    // events the answer stops with an `end` token, and the client pages on from there.
    std::size_t examined = 0;
    bool stopped_early = false;
    while (chunk.size() < limit && !exhausted && !stopped_early) {
      std::vector<EventPtr> page;
      if (backwards) {
        auto floor = to.value_or(0);
        auto top = std::min(cursor, ceiling);
        if (top <= floor) break;
        page = services.rooms.room_events(room_id, floor, top, limit * 2, true);
      } else {
        auto top = std::min(to.value_or(ceiling), ceiling);
        if (cursor >= top) break;
        page = services.rooms.room_events(room_id, cursor, top, limit * 2, false);
      }
      if (page.empty()) break;
      if (page.size() < limit * 2) exhausted = true;
      for (const auto& event : page) {
        cursor = backwards ? event->stream - 1 : event->stream;
        if ((!filter || filter->matches(*event)) && !hidden_by_ignore(ignored, *event) &&
            can_see_event(services, request.user_id, *event))
          chunk.push_back(event);
        if (chunk.size() >= limit) break;
        if (++examined >= kMaxEventsExaminedPerPage) {
          stopped_early = true;
          break;
        }
      }
    }
    json::array chunk_json;
    for (const auto& event : chunk) chunk_json.push_back(client_event(services.rooms, *event, request.user_id, request.device_id));
    json::object response{{"chunk", std::move(chunk_json)}, {"start", from_token}};
    bool more = chunk.size() >= limit || stopped_early;
    if (more) response["end"] = stream_token(cursor);
    if (filter && filter->lazy_load_members && !chunk.empty()) {
      auto state = services.rooms.state_at_group(chunk.front()->state_group_after);
      response["state"] = lazy_members(services, chunk, state, request);
    }
    return http::Response::json(std::move(response));
  });
}

}  // namespace domovoy
