// GET /_matrix/client/v1/rooms/{roomId}/hierarchy (space_hierarchy.yaml, "Spaces"): the rooms of a
// space, breadth first through m.space.child events that name a `via`, each shown only to those
// who may see it: members and invitees, anyone for a public, knockable or world-readable room,
// and for a restricted room those in one of the rooms its join rule allows. A room the requester
// may not see is left out with all it contains. A building's space lists its rooms this way.
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <set>

#include "homeserver/client/event_format.hpp"
#include "homeserver/client/hierarchy.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 1000;
constexpr std::size_t kMaxRoomsWalked = 5000;
// Requests to other servers one walk may make: a space naming thousands of remote children, each
// with a dozen `via` servers, must not make one client's request occupy the federation sender.
constexpr std::size_t kMaxRemoteAsks = 50;

struct Child {
  std::string room_id;
  std::string order;  // empty: none (sorts after those with one)
  std::int64_t ts = 0;
  bool suggested = false;
  std::vector<std::string> via;  // servers that may know the room (for one this server is not in)
  json::object stripped;
};

// client-server-api "Ordering of children within a space": a valid `order` first, by it, then
// the m.space.child event's timestamp, then the room id.
bool valid_order(const json::value* order) {
  if (!order || !order->is_string()) return false;
  const auto& text = order->as_string();
  return text.size() <= 50 && std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// A child named by an m.space.child event's state key and content; none for a removed child
// (no `via`).
std::optional<Child> child_of(std::string room_id, const json::object& content, std::int64_t ts, json::object stripped) {
  const auto* via = content.if_contains("via");
  if (!via || !via->is_array() || via->as_array().empty()) return std::nullopt;
  Child child;
  child.room_id = std::move(room_id);
  const auto* order = content.if_contains("order");
  if (valid_order(order)) child.order = std::string(order->as_string());
  const auto* suggested = content.if_contains("suggested");
  child.suggested = suggested && suggested->is_bool() && suggested->as_bool();
  for (const auto& server : via->as_array())
    if (server.is_string() && is_valid_server_name(server.as_string())) child.via.emplace_back(server.as_string());
  child.ts = ts;
  child.stripped = std::move(stripped);
  return child;
}

void sort_children(std::vector<Child>& children) {
  std::sort(children.begin(), children.end(), [](const Child& a, const Child& b) {
    if (a.order.empty() != b.order.empty()) return !a.order.empty();
    if (a.order != b.order) return a.order < b.order;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.room_id < b.room_id;
  });
}

// The children an entry of another server's hierarchy answer names in its children_state.
std::vector<Child> children_of_entry(const json::object& entry) {
  std::vector<Child> children;
  const auto* state = entry.if_contains("children_state");
  if (!state || !state->is_array()) return children;
  for (const auto& value : state->as_array()) {
    const auto* event = value.if_object();
    const auto* type = event ? event->if_contains("type") : nullptr;
    if (!type || *type != "m.space.child") continue;
    const auto* key = event->if_contains("state_key");
    const auto* content = event->if_contains("content");
    const auto* ts = event->if_contains("origin_server_ts");
    if (!key || !key->is_string() || !is_valid_room_id(key->as_string()) || !content || !content->is_object()) continue;
    if (auto child = child_of(std::string(key->as_string()), content->as_object(),
                              ts && ts->is_int64() ? ts->as_int64() : 0, *event))
      children.push_back(std::move(*child));
  }
  sort_children(children);
  return children;
}

std::vector<Child> children_of(ClientServices& services, const StatePtr& state) {
  std::vector<Child> children;
  for (auto it = state->lower_bound(StateKey{"m.space.child", ""}); it != state->end() && it->first.type == "m.space.child";
       ++it) {
    auto event = services.rooms.get_event(it->second);
    if (!event) continue;
    auto stripped = stripped_state_event(*event);
    stripped["origin_server_ts"] = event->origin_server_ts;
    if (auto child = child_of(it->first.state_key, event->content(), event->origin_server_ts, std::move(stripped)))
      children.push_back(std::move(*child));
  }
  sort_children(children);
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

// Whether the user may see a room this server is not in, as another server's hierarchy answer
// describes it: that server answered for this whole server (a room one of its users is in may be
// in the answer), so its entry is judged again for the one user, as may_see judges local rooms.
bool may_see_entry(ClientServices& services, const json::object& entry, const std::string& room_id,
                   const std::string& user_id) {
  if (auto record = services.rooms.membership_record(room_id, user_id))
    if (record->membership == "join" || record->membership == "invite") return true;
  const auto* join_rule = entry.if_contains("join_rule");
  auto rule = join_rule && join_rule->is_string() ? std::string(join_rule->as_string()) : std::string("invite");
  if (rule == "public" || rule == "knock" || rule == "knock_restricted") return true;
  if (const auto* readable = entry.if_contains("world_readable"); readable && readable->is_bool() && readable->as_bool())
    return true;
  if (rule != "restricted") return false;
  const auto* allowed = entry.if_contains("allowed_room_ids");
  if (!allowed || !allowed->is_array()) return false;
  for (const auto& id : allowed->as_array())
    if (id.is_string() && services.rooms.is_joined(std::string(id.as_string()), user_id)) return true;
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

// Whether another server may see a room of this one in its hierarchy (server-server-api
// "Spaces"): one it could join or see (public, knockable, world-readable; restricted ones too,
// with their allowed_room_ids for that server to judge), or one a user of that server is in.
bool server_may_see(ClientServices& services, const std::string& room_id, const StatePtr& state,
                    const std::string& server) {
  auto join_rule = state_string(services, state, "m.room.join_rules", "join_rule");
  if (join_rule == "public" || join_rule == "knock" || join_rule == "knock_restricted" || join_rule == "restricted")
    return true;
  if (state_string(services, state, "m.room.history_visibility", "history_visibility") == "world_readable") return true;
  for (const auto& member : services.rooms.joined_members(room_id))
    if (server_name_of(member) == server) return true;
  return false;
}

// One room of the walk: its entry and children, from this server's state or from another
// server's hierarchy answer.
struct Visit {
  bool visible = false;
  json::object entry;
  std::vector<Child> children;
};

boost::asio::awaitable<json::object> hierarchy(ClientServices& services, http::Request& request) {
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
  // A room this server is in: seen through its own state, as the requester may see it.
  auto visit_local = [&](const std::string& room_id, bool is_root) -> std::optional<Visit> {
    if (!services.rooms.room_exists(room_id)) return std::nullopt;
    Visit visit;
    auto state = services.rooms.current_state(room_id);
    if (!may_see(services, room_id, state, request.user_id)) {
      if (is_root) throw forbidden("You may not see this space");
      return visit;
    }
    visit.visible = true;
    visit.children = children_of(services, state);
    visit.entry = room_entry(services, room_id, state, visit.children);
    return visit;
  };
  auto root_visit = [&] { return visit_local(root_id, true); };
  auto root = co_await http::run_blocking(services.blocking_pool, root_visit);
  if (!root) throw not_found("Unknown room");

  // Entries other servers' answers gave for rooms not yet walked (their children).
  std::map<std::string, json::object> remote_entries;
  std::size_t remote_asks = 0;
  json::array rooms;
  std::size_t index = 0;  // visible rooms met so far, in walk order
  bool more = false;
  std::set<std::string> visited{root_id};
  struct Queued {
    std::string room_id;
    std::int64_t depth;
    std::vector<std::string> via;
  };
  std::deque<Queued> queue{{root_id, 0, {}}};
  while (!queue.empty() && visited.size() <= kMaxRoomsWalked) {
    auto item = std::move(queue.front());
    queue.pop_front();
    std::optional<Visit> visit;
    if (item.room_id == root_id) {
      visit = std::move(root);
    } else {
      auto local = [&] { return visit_local(item.room_id, false); };
      visit = co_await http::run_blocking(services.blocking_pool, local);
    }
    if (!visit) {
      // Another server's room: from an answer already had, or asked of a server its parent names.
      if (auto known = remote_entries.find(item.room_id); known != remote_entries.end()) {
        visit = Visit{may_see_entry(services, known->second, item.room_id, request.user_id), known->second,
                      children_of_entry(known->second)};
      } else if (services.federation_call) {
        for (const auto& server : item.via) {
          if (server == services.config.server_name) continue;
          if (remote_asks == kMaxRemoteAsks) break;
          ++remote_asks;
          try {
            auto asking = services.federation_call(server, "GET", "/_matrix/federation/v1/hierarchy/" +
                                                                     boost::urls::encode(item.room_id, boost::urls::unreserved_chars) +
                                                                     "?suggested_only=" + suggested_text,
                                                   std::nullopt);
            auto answer = co_await std::move(asking);
            const auto* room = answer.if_contains("room");
            if (!room || !room->is_object()) continue;
            const auto* id = room->as_object().if_contains("room_id");
            if (!id || !id->is_string() || id->as_string() != item.room_id) continue;
            if (const auto* children = answer.if_contains("children"); children && children->is_array())
              for (const auto& child : children->as_array())
                if (const auto* entry = child.if_object())
                  if (const auto* child_id = entry->if_contains("room_id"); child_id && child_id->is_string())
                    remote_entries.try_emplace(std::string(child_id->as_string()), *entry);
            visit = Visit{may_see_entry(services, room->as_object(), item.room_id, request.user_id), room->as_object(),
                          children_of_entry(room->as_object())};
            break;
          } catch (const ApiError&) {
            // That server does not know the room or may not tell: the next one.
          }
        }
      }
    }
    if (!visit || !visit->visible) continue;  // unknown, or one the user may not see
    if (suggested_only) std::erase_if(visit->children, [](const Child& child) { return !child.suggested; });
    if (index >= offset) {
      if (rooms.size() == static_cast<std::size_t>(limit)) {
        more = true;
        break;
      }
      rooms.push_back(std::move(visit->entry));
    }
    ++index;
    if (item.depth >= max_depth) continue;
    for (auto& child : visit->children)
      if (visited.insert(child.room_id).second) queue.push_back({child.room_id, item.depth + 1, std::move(child.via)});
  }
  json::object response{{"rooms", std::move(rooms)}};
  if (more)
    response["next_batch"] = "h" + std::to_string(index) + ":" + root_id + ":" + suggested_text + ":" + std::to_string(max_depth);
  co_return response;
}
}  // namespace

json::object federation_hierarchy(ClientServices& services, const std::string& room_id, const std::string& origin,
                                  bool suggested_only) {
  if (!services.rooms.room_exists(room_id)) throw not_found("Unknown room");
  auto state = services.rooms.current_state(room_id);
  if (!server_may_see(services, room_id, state, origin)) throw not_found("Unknown room");
  auto children = children_of(services, state);
  if (suggested_only) std::erase_if(children, [](const Child& child) { return !child.suggested; });
  json::array entries, inaccessible;
  for (const auto& child : children) {
    if (!services.rooms.room_exists(child.room_id)) continue;  // not this server's to tell
    auto child_state = services.rooms.current_state(child.room_id);
    if (!server_may_see(services, child.room_id, child_state, origin)) {
      inaccessible.push_back(json::string(child.room_id));
      continue;
    }
    entries.push_back(room_entry(services, child.room_id, child_state, children_of(services, child_state)));
  }
  return {{"room", room_entry(services, room_id, state, children)},
          {"children", std::move(entries)},
          {"inaccessible_children", std::move(inaccessible)}};
}

void register_hierarchy_routes(http::Router& router, ClientServices& services) {
  router.add_async(verb::get, "/_matrix/client/v1/rooms/{roomId}/hierarchy", http::Auth::required,
                   [&services](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     auto walking = hierarchy(services, request);
                     co_return http::Response::json(co_await std::move(walking));
                   });
}

}  // namespace domovoy
