// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and GET /rooms/{roomId}/threads
// (relations.yaml, threads_list.yaml): the children of an event, newest first by default, with
// `recurse` following relations of relations; the room's threads by latest activity. Polls
// (MSC3381) are references to their start event, so Element reads their answers here.
#include <charconv>
#include <set>

#include "homeserver/client/event_format.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::int64_t kDefaultLimit = 5;  // as Synapse
constexpr std::int64_t kMaxLimit = 1000;
constexpr int kRecursionDepth = 3;
constexpr std::size_t kMaxCollected = 10000;

std::size_t limit_param(const http::Request& request) {
  auto text = request.query_param("limit");
  if (!text) return kDefaultLimit;
  std::int64_t value = 0;
  auto result = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || result.ec != std::errc{} || result.ptr != text->data() + text->size() || value < 0)
    throw invalid_param("limit must be a non-negative integer");
  return static_cast<std::size_t>(std::min(value, kMaxLimit));
}

// A position in the stream from a token: "r<stream>" is this endpoint's own (an exclusive
// bound: the last event returned), anything else a /sync or /messages token (inclusive).
struct Bound {
  std::uint64_t position = 0;
  bool exclusive = false;
};
std::optional<Bound> token_param(const http::Request& request, const std::string& name) {
  auto text = request.query_param(name);
  if (!text || text->empty()) return std::nullopt;
  if ((*text)[0] == 'r') {
    std::uint64_t value = 0;
    auto result = std::from_chars(text->data() + 1, text->data() + text->size(), value);
    if (result.ec != std::errc{} || result.ptr != text->data() + text->size()) throw invalid_param("Invalid token");
    return Bound{value, true};
  }
  return Bound{parse_stream_token(*text), false};
}

std::string relation_token(std::uint64_t stream) { return "r" + std::to_string(stream); }

// The room and event the path names, when the user may see that event (404 otherwise).
EventPtr visible_parent(ClientServices& services, const http::Request& request) {
  const auto& room_id = request.path_params[0];
  auto event = services.rooms.get_event(request.path_params[1]);
  if (!event || event->room_id != room_id || !can_see_event(services, request.user_id, *event))
    throw not_found("Event not found");
  return event;
}

json::object relations(ClientServices& services, http::Request& request) {
  auto parent = visible_parent(services, request);
  const auto& room_id = parent->room_id;
  std::string rel_type = request.path_params.size() > 2 ? request.path_params[2] : std::string();
  std::string event_type = request.path_params.size() > 3 ? request.path_params[3] : std::string();
  auto dir = request.query_param("dir").value_or("b");
  if (dir != "b" && dir != "f") throw invalid_param("dir must be b or f");
  bool newest_first = dir == "b";
  auto recurse_text = request.query_param("recurse").value_or("false");
  if (recurse_text != "true" && recurse_text != "false") throw invalid_param("recurse must be true or false");
  bool recurse = recurse_text == "true";
  auto limit = limit_param(request);
  auto from = token_param(request, "from");
  auto to = token_param(request, "to");
  // The window (after, before) in stream positions.
  std::uint64_t after = 0, before = UINT64_MAX;
  auto lower = [](const Bound& bound) { return bound.position; };  // events after it
  auto upper = [](const Bound& bound) { return bound.exclusive ? bound.position : bound.position + 1; };
  if (newest_first) {
    if (from) before = upper(*from);
    if (to) after = lower(*to);
  } else {
    if (from) after = lower(*from);
    if (to) before = upper(*to);
  }

  std::vector<RelatedEvent> found;
  const auto& index = services.rooms.relations();
  if (!recurse) {
    found = index.children(room_id, parent->event_id, rel_type, after, before,
                           event_type.empty() ? limit + 1 : kMaxCollected, newest_first);
  } else {
    // Relations of relations, to the depth Synapse goes, each event once.
    std::set<std::string> seen{parent->event_id};
    std::vector<std::string> level{parent->event_id};
    for (int depth = 0; depth < kRecursionDepth && !level.empty() && found.size() < kMaxCollected; ++depth) {
      std::vector<std::string> next;
      for (const auto& id : level) {
        for (auto& child : index.children(room_id, id, "", 0, UINT64_MAX, kMaxCollected, false)) {
          if (!seen.insert(child.event_id).second) continue;
          next.push_back(child.event_id);
          if (child.stream > after && child.stream < before && (rel_type.empty() || child.rel_type == rel_type))
            found.push_back(std::move(child));
        }
      }
      level = std::move(next);
    }
    std::sort(found.begin(), found.end(), [&](const RelatedEvent& a, const RelatedEvent& b) {
      return newest_first ? a.stream > b.stream : a.stream < b.stream;
    });
  }
  json::array chunk;
  std::optional<std::uint64_t> last;
  bool more = false;
  for (const auto& child : found) {
    if (!event_type.empty() && child.type != event_type) continue;
    auto event = services.rooms.get_event(child.event_id);
    if (!event || !relation_of(*event) || !can_see_event(services, request.user_id, *event)) continue;
    if (chunk.size() == limit) {
      more = true;
      break;
    }
    chunk.push_back(client_event(services.rooms, *event, request.user_id, request.device_id));
    last = child.stream;
  }
  json::object response{{"chunk", std::move(chunk)}};
  if (more && last) response["next_batch"] = relation_token(*last);
  if (auto text = request.query_param("from")) response["prev_batch"] = *text;
  if (recurse) response["recursion_depth"] = kRecursionDepth;
  return response;
}

json::object threads(ClientServices& services, http::Request& request) {
  const auto& room_id = request.path_params[0];
  if (!services.rooms.room_exists(room_id) || !readable_until(services, room_id, request.user_id))
    throw forbidden("You are not allowed to see this room");
  auto include = request.query_param("include").value_or("all");
  if (include != "all" && include != "participated") throw invalid_param("include must be all or participated");
  auto limit = limit_param(request);
  auto from = token_param(request, "from");
  std::uint64_t before = from ? (from->exclusive ? from->position : from->position + 1) : UINT64_MAX;
  const auto& index = services.rooms.relations();
  json::array chunk;
  std::optional<std::uint64_t> last;
  bool more = false;
  while (!more) {
    auto page = index.threads(room_id, before, 100);
    if (page.empty()) break;
    for (const auto& [root_id, activity] : page) {
      before = activity;
      if (include == "participated" && !index.took_part(room_id, root_id, request.user_id)) continue;
      auto root = services.rooms.get_event(root_id);
      if (!root || !can_see_event(services, request.user_id, *root)) continue;
      if (chunk.size() == limit) {
        more = true;
        break;
      }
      chunk.push_back(client_event(services.rooms, *root, request.user_id, request.device_id));
      last = activity;
    }
    if (page.size() < 100) break;
  }
  json::object response{{"chunk", std::move(chunk)}};
  if (more && last) response["next_batch"] = relation_token(*last);
  return response;
}
}  // namespace

void register_relation_routes(http::Router& router, ClientServices& services) {
  auto handler = [&services](http::Request& request) { return http::Response::json(relations(services, request)); };
  for (auto suffix : {"/rooms/{roomId}/relations/{eventId}", "/rooms/{roomId}/relations/{eventId}/{relType}",
                      "/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}"}) {
    router.add(verb::get, std::string("/_matrix/client/v1") + suffix, http::Auth::required, handler);
  }
  router.add(verb::get, "/_matrix/client/v1/rooms/{roomId}/threads", http::Auth::required,
             [&services](http::Request& request) { return http::Response::json(threads(services, request)); });
}

}  // namespace domovoy
