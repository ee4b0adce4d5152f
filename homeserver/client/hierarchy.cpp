// GET /_matrix/client/v1/rooms/{roomId}/hierarchy (space_hierarchy.yaml, "Spaces"): the rooms of a
// space, breadth first through m.space.child events that name a `via`, each shown only to those
// who may see it: members and invitees, anyone for a public, knockable or world-readable room,
// and for a restricted room those in one of the rooms its join rule allows. A room the requester
// may not see is left out with all it contains. A building's space lists its rooms this way.
#include <algorithm>
#include <charconv>
#include <deque>
#include <set>

#include "homeserver/client/event_format.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 1000;
constexpr std::size_t kMaxRoomsWalked = 5000;

struct Child {
  std::string room_id;
  std::string order;  // empty: none (sorts after those with one)
  std::int64_t ts = 0;
  bool suggested = false;
  json::object stripped;
};

// client-server-api "Ordering of children within a space": a valid `order` first, by it, then
// the m.space.child event's timestamp, then the room id.
bool valid_order(const json::value* order) {
  if (!order || !order->is_string()) return false;
  const auto& text = order->as_string();
  return text.size() <= 50 && std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::vector<Child> children_of(ClientServices& services, const StatePtr& state) {
  std::vector<Child> children;
  for (auto it = state->lower_bound(StateKey{"m.space.child", ""}); it != state->end() && it->first.type == "m.space.child";
       ++it) {
    auto event = services.rooms.get_event(it->second);
    if (!event) continue;
    const auto& content = event->content();
    const auto* via = content.if_contains("via");
    if (!via || !via->is_array() || via->as_array().empty()) continue;  // a removed child
    Child child;
    child.room_id = it->first.state_key;
    const auto* order = content.if_contains("order");
    if (valid_order(order)) child.order = std::string(order->as_string());
    const auto* suggested = content.if_contains("suggested");
    child.suggested = suggested && suggested->is_bool() && suggested->as_bool();
    child.ts = event->origin_server_ts;
    child.stripped = stripped_state_event(*event);
    child.stripped["origin_server_ts"] = event->origin_server_ts;
    children.push_back(std::move(child));
  }
  std::sort(children.begin(), children.end(), [](const Child& a, const Child& b) {
    if (a.order.empty() != b.order.empty()) return !a.order.empty();
    if (a.order != b.order) return a.order < b.order;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.room_id < b.room_id;
  });
  return children;
}

// Whether the user may see the room's summary (and walk into it).
bool may_see(ClientServices& services, const std::string& room_id, const StatePtr& state, const std::string& user_id) {
  if (auto record = services.rooms.membership_record(room_id, user_id))
    if (record->membership == "join" || record->membership == "invite") return true;
  auto join_rule = state_string(services, state, "m.room.join_rules", "join_rule");
  if (join_rule == "public" || join_rule == "knock") return true;
  if (state_string(services, state, "m.room.history_visibility", "history_visibility") == "world_readable") return true;
  if (join_rule == "restricted" || join_rule == "knock_restricted") {
    if (join_rule == "knock_restricted") return true;  // anyone may knock, so anyone may see it
    auto rules = services.rooms.state_event(state, "m.room.join_rules", "");
    const auto* allow = rules ? rules->content().if_contains("allow") : nullptr;
    if (allow && allow->is_array()) {
      for (const auto& condition : allow->as_array()) {
        if (!condition.is_object()) continue;
        const auto* type = condition.as_object().if_contains("type");
        const auto* allowed = condition.as_object().if_contains("room_id");
        if (type && type->is_string() && type->as_string() == "m.room_membership" && allowed && allowed->is_string() &&
            services.rooms.is_joined(std::string(allowed->as_string()), user_id))
          return true;
      }
    }
  }
  return false;
}

json::object room_entry(ClientServices& services, const std::string& room_id, const StatePtr& state,
                        const std::vector<Child>& children) {
  auto entry = room_summary_chunk(services, room_id);
  json::array children_state;
  for (const auto& child : children) children_state.push_back(child.stripped);
  entry["children_state"] = std::move(children_state);
  if (auto create = services.rooms.state_event(state, "m.room.create", "")) {
    const auto* version = create->content().if_contains("room_version");
    entry["room_version"] = version && version->is_string() ? version->as_string() : json::string("1");
  }
  auto algorithm = state_string(services, state, "m.room.encryption", "algorithm");
  if (!algorithm.empty()) entry["encryption"] = algorithm;
  if (auto rules = services.rooms.state_event(state, "m.room.join_rules", "")) {
    if (const auto* allow = rules->content().if_contains("allow"); allow && allow->is_array()) {
      json::array allowed_ids;
      for (const auto& condition : allow->as_array())
        if (condition.is_object())
          if (const auto* id = condition.as_object().if_contains("room_id"); id && id->is_string()) allowed_ids.push_back(*id);
      if (!allowed_ids.empty()) entry["allowed_room_ids"] = std::move(allowed_ids);
    }
  }
  return entry;
}

std::int64_t int_param(const http::Request& request, const std::string& name, std::int64_t fallback) {
  auto text = request.query_param(name);
  if (!text) return fallback;
  std::int64_t value = 0;
  auto result = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || result.ec != std::errc{} || result.ptr != text->data() + text->size() || value < 0)
    throw invalid_param(name + " must be a non-negative integer");
  return value;
}

json::object hierarchy(ClientServices& services, http::Request& request) {
  const auto& root_id = request.path_params[0];
  auto limit = std::min<std::int64_t>(int_param(request, "limit", kDefaultLimit), kMaxLimit);
  if (limit == 0) limit = kDefaultLimit;
  auto max_depth = int_param(request, "max_depth", INT64_MAX);
  auto suggested_text = request.query_param("suggested_only").value_or("false");
  if (suggested_text != "true" && suggested_text != "false") throw invalid_param("suggested_only must be true or false");
  bool suggested_only = suggested_text == "true";
  std::size_t offset = 0;
  if (auto from = request.query_param("from")) {
    // "h<offset>:<root>:<suggested>:<depth>": a token is only good for the request that made it.
    auto expected_tail = ":" + root_id + ":" + suggested_text + ":" + std::to_string(max_depth);
    if (from->size() < 2 || (*from)[0] != 'h' || !from->ends_with(expected_tail))
      throw invalid_param("from does not belong to this hierarchy request");
    auto digits = from->substr(1, from->size() - 1 - expected_tail.size());
    auto result = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
    if (digits.empty() || result.ec != std::errc{} || result.ptr != digits.data() + digits.size())
      throw invalid_param("Invalid from token");
  }
  if (!services.rooms.room_exists(root_id)) throw not_found("Unknown room");
  auto root_state = services.rooms.current_state(root_id);
  if (!may_see(services, root_id, root_state, request.user_id)) throw forbidden("You may not see this space");

  json::array rooms;
  std::size_t index = 0;  // visible rooms met so far, in walk order
  bool more = false;
  std::set<std::string> visited{root_id};
  std::deque<std::pair<std::string, std::int64_t>> queue{{root_id, 0}};
  while (!queue.empty() && visited.size() <= kMaxRoomsWalked) {
    auto [room_id, depth] = queue.front();
    queue.pop_front();
    auto state = room_id == root_id ? root_state : services.rooms.current_state(room_id);
    if (room_id != root_id && (!services.rooms.room_exists(room_id) || !may_see(services, room_id, state, request.user_id)))
      continue;  // another server's room (no federation yet) or one the user may not see
    auto children = children_of(services, state);
    if (suggested_only) std::erase_if(children, [](const Child& child) { return !child.suggested; });
    if (index >= offset) {
      if (rooms.size() == static_cast<std::size_t>(limit)) {
        more = true;
        break;
      }
      rooms.push_back(room_entry(services, room_id, state, children));
    }
    ++index;
    if (depth >= max_depth) continue;
    for (const auto& child : children)
      if (visited.insert(child.room_id).second) queue.emplace_back(child.room_id, depth + 1);
  }
  json::object response{{"rooms", std::move(rooms)}};
  if (more)
    response["next_batch"] = "h" + std::to_string(index) + ":" + root_id + ":" + suggested_text + ":" + std::to_string(max_depth);
  return response;
}
}  // namespace

void register_hierarchy_routes(http::Router& router, ClientServices& services) {
  router.add(verb::get, "/_matrix/client/v1/rooms/{roomId}/hierarchy", http::Auth::required,
             [&services](http::Request& request) { return http::Response::json(hierarchy(services, request)); });
}

}  // namespace domovoy
