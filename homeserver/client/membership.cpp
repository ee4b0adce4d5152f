// Room membership: join, invite, leave, forget, kick, ban, unban, and the member lists.
#include "homeserver/client/event_format.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

// Joins a room of this server, or one that lives on others (through the servers the client
// names with `via` / `server_name`, the alias's server, or the room id's).
// The room a join or knock names (an id, or an alias, resolved over federation when it is another
// server's) and the servers that may know the way in (via, server_name, the alias's servers).
struct MembershipTarget {
  std::string room_id;
  std::vector<std::string> servers;
};

boost::asio::awaitable<MembershipTarget> resolve_membership_target(ClientServices& services, http::Request& request,
                                                                   std::string target) {
  std::vector<std::string> servers;
  for (const char* name : {"via", "server_name"})
    for (auto& server : request.query_params(name))
      if (is_valid_server_name(server)) servers.push_back(std::move(server));
  std::string room_id = target;
  if (!target.empty() && target[0] == '#') {
    if (!is_valid_room_alias(target)) throw invalid_param("Invalid room alias");
    std::string alias_server(server_name_of(target));
    if (alias_server != services.config.server_name && services.federation_query) {
      auto query = services.federation_query(alias_server, "directory", {{"room_alias", target}});
      auto answer = co_await std::move(query);
      const auto* found = answer.if_contains("room_id");
      if (!found || !found->is_string() || !is_valid_room_id(found->as_string()))
        throw ApiError(502, "M_UNKNOWN", alias_server + " answered the alias query without a room id");
      room_id = std::string(found->as_string());
      servers.insert(servers.begin(), alias_server);
      if (const auto* listed = answer.if_contains("servers"); listed && listed->is_array())
        for (const auto& server : listed->as_array())
          if (server.is_string() && is_valid_server_name(server.as_string())) servers.emplace_back(server.as_string());
    } else {
      auto resolve = [&] { return resolve_room_id_or_alias(services, target); };
      room_id = co_await http::run_blocking(services.blocking_pool, resolve);
    }
  } else if (!is_valid_room_id(room_id)) {
    throw invalid_param("Invalid room id or alias");
  }
  co_return MembershipTarget{std::move(room_id), std::move(servers)};
}

// Whether a room is to be joined or knocked on here: someone of this server is joined to it, or
// there is no other server to ask.
bool is_local_room(ClientServices& services, const std::string& room_id, const std::vector<std::string>& servers) {
  if (!services.rooms.room_exists(room_id)) return false;
  for (const auto& member : services.rooms.joined_members(room_id))
    if (server_name_of(member) == services.config.server_name) return true;
  return servers.empty() && services.rooms.joined_servers(room_id).empty();
}

boost::asio::awaitable<http::Response> join_room(ClientServices& services, http::Request& request, std::string target) {
  auto body = request.optional_json_body();
  auto resolving = resolve_membership_target(services, request, std::move(target));
  auto resolved = co_await std::move(resolving);
  // References, not structured bindings: lambdas below capture them (clang 14 refuses bindings).
  auto& room_id = resolved.room_id;
  auto& servers = resolved.servers;
  // Joined here already by someone of this server, or no federation to ask: the local room.
  auto is_local = [&] { return is_local_room(services, room_id, servers); };
  auto content_of = [&] { return own_member_content(services, request.user_id, "join", body); };
  bool local = true;
  if (services.federation_join) local = co_await http::run_blocking(services.blocking_pool, is_local);
  if (local) {
    auto join = [&] {
      require_room(services, room_id);
      services.room_service.change_membership(room_id, request.user_id, request.user_id, content_of());
    };
    co_await http::run_blocking(services.blocking_pool, join);
    co_return http::Response::json(json::object{{"room_id", room_id}});
  }
  auto in_room = [&] {
    auto room_servers = services.rooms.joined_servers(room_id);
    // Invited to a room of another server: its inviter's server knows the way in.
    if (auto record = services.rooms.membership_record(room_id, request.user_id); record && record->membership == "invite")
      if (auto invite = services.rooms.get_event(record->event_id)) room_servers.emplace(server_name_of(invite->sender));
    return room_servers;
  };
  auto room_servers = co_await http::run_blocking(services.blocking_pool, in_room);
  servers.insert(servers.end(), room_servers.begin(), room_servers.end());
  if (auto colon = room_id.find(':'); colon != std::string::npos) servers.push_back(room_id.substr(colon + 1));
  auto content = co_await http::run_blocking(services.blocking_pool, content_of);
  auto joining = services.federation_join(room_id, servers, request.user_id, std::move(content));
  auto joined = co_await std::move(joining);
  co_return http::Response::json(json::object{{"room_id", joined}});
}

std::string target_user(const json::object& body) {
  auto user_id = required_string(body, "user_id");
  if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user_id");
  return user_id;
}

// Changes another user's membership (invite, kick, ban, unban).
http::Response set_membership(ClientServices& services, http::Request& request, const std::string& membership,
                              std::string_view expected_now = {}) {
  auto body = request.json_body();
  const auto& room_id = request.path_params[0];
  require_room(services, room_id);
  auto target = target_user(body);
  json::object content{{"membership", membership}};
  if (auto reason = optional_string(body, "reason")) content["reason"] = *reason;
  // /unban is a leave that only undoes a ban (a kick of a banned user would be an unban too).
  auto current = services.rooms.current_membership(room_id, target);
  if (expected_now == "ban" && current != "ban") throw forbidden(target + " is not banned");
  if (expected_now == "in_room" && current == "ban") throw forbidden(target + " is not in the room");
  services.room_service.change_membership(room_id, request.user_id, target, std::move(content));
  return http::Response::json(json::object{});
}

// Invites a user: through their server's signature first when they are of another server.
boost::asio::awaitable<http::Response> invite(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  auto target = target_user(body);
  const auto& room_id = request.path_params[0];
  if (server_name_of(target) == services.config.server_name || !services.federation_invite) {
    auto local = [&] { return set_membership(services, request, "invite"); };
    co_return co_await http::run_blocking(services.blocking_pool, local);
  }
  auto check = [&] { require_room(services, room_id); };
  co_await http::run_blocking(services.blocking_pool, check);
  json::object content;
  if (auto reason = optional_string(body, "reason")) content["reason"] = *reason;
  auto inviting = services.federation_invite(room_id, request.user_id, target, std::move(content));
  co_await std::move(inviting);
  co_return http::Response::json(json::object{});
}

// The state a user may see the members of: now when joined, at their leave otherwise.
StatePtr member_state_for(ClientServices& services, const std::string& room_id, const std::string& user_id,
                          std::optional<std::uint64_t> at) {
  auto until = readable_until(services, room_id, user_id);
  if (!until) throw forbidden("You are not a member of this room");
  std::uint64_t position = at ? std::min(*at, *until) : *until;
  auto event = services.rooms.last_event_at(room_id, position);
  if (!event) return services.rooms.state_at_group(0);
  return services.rooms.state_at_group(event->state_group_after);
}

}  // namespace

void register_membership_routes(http::Router& router, ClientServices& services) {
  // Knocking (knocking.yaml): asks to be let in; the room's join rule must be knock or
  // knock_restricted, which the auth rules check.
  // A room of another server is knocked on through it (make_knock, send_knock).
  router.add_client_async(
      verb::post, "/knock/{roomIdOrAlias}", http::Auth::required,
      [&services](http::Request& request) -> boost::asio::awaitable<http::Response> {
        auto body = request.optional_json_body();
        auto resolving = resolve_membership_target(services, request, request.path_params[0]);
        auto target = co_await std::move(resolving);
        const auto& room_id = target.room_id;
        auto prepare = [&] {
          auto content = own_member_content(services, request.user_id, "knock", body);
          if (auto reason = optional_string(body, "reason")) content["reason"] = *reason;
          return std::pair{content, !services.federation_knock || is_local_room(services, room_id, target.servers)};
        };
        auto prepared = co_await http::run_blocking(services.blocking_pool, prepare);
        auto& content = prepared.first;
        bool local = prepared.second;
        if (local) {
          auto knock = [&] {
            require_room(services, room_id);
            services.room_service.change_membership(room_id, request.user_id, request.user_id, content);
          };
          co_await http::run_blocking(services.blocking_pool, knock);
        } else {
          auto knocking = services.federation_knock(room_id, target.servers, request.user_id, content);
          co_await std::move(knocking);
        }
        co_return http::Response::json(json::object{{"room_id", room_id}});
      });
  router.add_client_async(verb::post, "/join/{roomIdOrAlias}", http::Auth::required, [&services](http::Request& request) {
    return join_room(services, request, request.path_params[0]);
  });
  router.add_client_async(verb::post, "/rooms/{roomId}/join", http::Auth::required, [&services](http::Request& request) {
    return join_room(services, request, request.path_params[0]);
  });
  router.add_client_async(verb::post, "/rooms/{roomId}/invite", http::Auth::required,
                          [&services](http::Request& request) { return invite(services, request); });
  router.add_client(verb::post, "/rooms/{roomId}/kick", http::Auth::required,
                    [&services](http::Request& request) { return set_membership(services, request, "leave", "in_room"); });
  router.add_client(verb::post, "/rooms/{roomId}/ban", http::Auth::required,
                    [&services](http::Request& request) { return set_membership(services, request, "ban"); });
  router.add_client(verb::post, "/rooms/{roomId}/unban", http::Auth::required,
                    [&services](http::Request& request) { return set_membership(services, request, "leave", "ban"); });

  router.add_client_async(
      verb::post, "/rooms/{roomId}/leave", http::Auth::required,
      [&services](http::Request& request) -> boost::asio::awaitable<http::Response> {
        auto body = request.optional_json_body();
        const auto& room_id = request.path_params[0];
        // Invited to a room of another server this one is not in: refused through the inviter's server.
        auto remote_invite = [&] {
          if (!services.federation_leave || services.rooms.room_exists(room_id)) return false;
          auto record = services.rooms.membership_record(room_id, request.user_id);
          return record && record->membership == "invite";
        };
        if (co_await http::run_blocking(services.blocking_pool, remote_invite)) {
          json::object content;
          if (auto reason = optional_string(body, "reason")) content["reason"] = *reason;
          auto leaving = services.federation_leave(room_id, request.user_id, std::move(content));
          co_await std::move(leaving);
          co_return http::Response::json(json::object{});
        }
        auto leave = [&] {
          require_room(services, room_id);
          services.room_service.change_membership(room_id, request.user_id, request.user_id,
                                                  own_member_content(services, request.user_id, "leave", body));
        };
        co_await http::run_blocking(services.blocking_pool, leave);
        co_return http::Response::json(json::object{});
      });

  router.add_client(verb::post, "/rooms/{roomId}/forget", http::Auth::required, [&services](http::Request& request) {
    const auto& room_id = request.path_params[0];
    require_room(services, room_id);
    if (!services.rooms.forget(room_id, request.user_id))
      throw ApiError(400, "M_UNKNOWN", "You must leave the room before forgetting it");
    return http::Response::json(json::object{});
  });

  router.add_client(verb::get, "/joined_rooms", http::Auth::required, [&services](http::Request& request) {
    json::array rooms;
    for (const auto& record : services.rooms.rooms_of_user(request.user_id))
      if (record.membership == "join") rooms.push_back(json::string(record.room_id));
    return http::Response::json(json::object{{"joined_rooms", std::move(rooms)}});
  });

  router.add_client(verb::get, "/rooms/{roomId}/joined_members", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      require_joined(services, room_id, request.user_id);  // rooms.yaml: members only
                      auto state = services.rooms.current_state(room_id);
                      json::object joined;
                      for (auto it = state->lower_bound(StateKey{"m.room.member", ""});
                           it != state->end() && it->first.type == "m.room.member"; ++it) {
                        auto event = services.rooms.get_event(it->second);
                        if (!event || event->membership() != "join") continue;
                        json::object profile;
                        const auto& content = event->content();
                        if (const auto* name = content.if_contains("displayname"); name && name->is_string())
                          profile["display_name"] = *name;
                        if (const auto* avatar = content.if_contains("avatar_url"); avatar && avatar->is_string())
                          profile["avatar_url"] = *avatar;
                        joined[it->first.state_key] = std::move(profile);
                      }
                      return http::Response::json(json::object{{"joined", std::move(joined)}});
                    });

  router.add_client(verb::get, "/rooms/{roomId}/members", http::Auth::required, [&services](http::Request& request) {
    const auto& room_id = request.path_params[0];
    require_room(services, room_id);
    std::optional<std::uint64_t> at;
    if (auto token = request.query_param("at")) at = parse_stream_token(*token);
    auto membership = request.query_param("membership");
    auto not_membership = request.query_param("not_membership");
    auto state = member_state_for(services, room_id, request.user_id, at);
    json::array chunk;
    for (auto it = state->lower_bound(StateKey{"m.room.member", ""});
         it != state->end() && it->first.type == "m.room.member"; ++it) {
      auto event = services.rooms.get_event(it->second);
      if (!event) continue;
      auto value = event->membership();
      // Given both, the two parameters are an "or" (rooms.yaml, getMembersByRoom).
      bool is_wanted = membership && value == *membership;
      bool is_not_excluded = not_membership && value != *not_membership;
      if ((membership || not_membership) && !is_wanted && !is_not_excluded) continue;
      chunk.push_back(client_event(services.rooms, *event, request.user_id, request.device_id));
    }
    return http::Response::json(json::object{{"chunk", std::move(chunk)}});
  });
}

}  // namespace domovoy
