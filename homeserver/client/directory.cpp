// Room aliases and the published room directory (directory.yaml, list_public_rooms.yaml).
#include <algorithm>
#include <charconv>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "homeserver/client/public_rooms.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/http/blocking.hpp"
#include "homeserver/rooms/power_levels.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

std::string checked_local_alias(ClientServices& services, const std::string& alias) {
  if (!is_valid_room_alias(alias)) throw invalid_param("Invalid room alias");
  if (server_name_of(alias) != services.config.server_name)
    throw invalid_param("Room alias must be on this server");
  return alias;
}

std::int64_t user_power(ClientServices& services, const std::string& room_id, const std::string& user_id,
                        std::int64_t& needed_for_alias) {
  auto state = services.rooms.current_state(room_id);
  auto create = services.rooms.state_event(state, "m.room.create", "");
  auto power_event = services.rooms.state_event(state, "m.room.power_levels", "");
  PowerLevels power(create.get(), power_event.get(), *services.rooms.room_version(room_id));
  needed_for_alias = power.event_level("m.room.canonical_alias", true);
  return power.user_level(user_id);
}

std::size_t parse_offset(const std::string& since) {
  std::size_t offset = 0;
  auto end = since.data() + since.size();
  if (since.size() < 2 || since[0] != 'o') throw invalid_param("Invalid 'since' token");
  auto parsed = std::from_chars(since.data() + 1, end, offset);
  if (parsed.ec != std::errc{} || parsed.ptr != end || offset > (1u << 30)) throw invalid_param("Invalid 'since' token");
  return offset;
}

std::size_t parse_limit(std::optional<std::int64_t> limit) {
  if (!limit) return 100;
  if (*limit < 0) throw invalid_param("limit must not be negative");
  return static_cast<std::size_t>(std::min<std::int64_t>(*limit, 500));
}

// An alias of this server from its directory, or another server's as it answers the federation
// directory query.
boost::asio::awaitable<http::Response> resolve_alias(ClientServices& services, std::string alias) {
  if (!is_valid_room_alias(alias)) throw invalid_param("Invalid room alias");
  std::string server(server_name_of(alias));
  if (server != services.config.server_name) {
    if (!services.federation_query) throw not_found("Room alias " + alias + " not found");
    // Arguments built before the co_await: g++ 12 destroys temporaries in it twice (GCC bug 101367).
    auto query = services.federation_query(server, "directory", {{"room_alias", alias}});
    auto answer = co_await std::move(query);
    const auto* room_id = answer.if_contains("room_id");
    if (!room_id || !room_id->is_string() || !is_valid_room_id(room_id->as_string()))
      throw ApiError(502, "M_UNKNOWN", server + " answered the alias query without a room id");
    json::array servers;
    if (const auto* listed = answer.if_contains("servers"); listed && listed->is_array())
      for (const auto& name : listed->as_array())
        if (name.is_string() && is_valid_server_name(name.as_string())) servers.push_back(name);
    if (servers.empty()) servers.push_back(json::string(server));
    co_return http::Response::json(json::object{{"room_id", *room_id}, {"servers", std::move(servers)}});
  }
  auto local = [&] { return lookup_alias(services, alias); };
  auto room_id = co_await http::run_blocking(services.blocking_pool, local);
  if (!room_id) throw not_found("Room alias " + alias + " not found");
  co_return http::Response::json(
      json::object{{"room_id", *room_id}, {"servers", json::array{json::string(services.config.server_name)}}});
}

}  // namespace

json::object list_public_rooms(ClientServices& services, const PublicRoomsQuery& query) {
  const auto& [limit, offset, term, room_types] = query;
  std::vector<json::object> rooms;
  for (const auto& room_id : services.directory.listed_rooms()) {
    auto chunk = room_summary_chunk(services, room_id);
    if (!term.empty()) {
      auto lower = [](std::string text) {
        std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
        return text;
      };
      auto needle = lower(term);
      bool found = false;
      for (auto field : {"name", "topic", "canonical_alias", "room_id"})
        if (const auto* value = chunk.if_contains(field); value && value->is_string())
          found = found || lower(std::string(value->as_string())).find(needle) != std::string::npos;
      if (!found) continue;
    }
    if (room_types) {
      const auto* type = chunk.if_contains("room_type");
      bool matched = std::any_of(room_types->begin(), room_types->end(), [&](const std::string& wanted) {
        return type ? type->as_string() == wanted : wanted.empty();
      });
      if (!matched) continue;
    }
    rooms.push_back(std::move(chunk));
  }
  // Largest rooms first, as directories conventionally list them; room id breaks ties stably.
  std::sort(rooms.begin(), rooms.end(), [](const json::object& a, const json::object& b) {
    auto size_a = a.at("num_joined_members").to_number<std::int64_t>();
    auto size_b = b.at("num_joined_members").to_number<std::int64_t>();
    if (size_a != size_b) return size_a > size_b;
    return a.at("room_id").as_string() < b.at("room_id").as_string();
  });
  json::array chunk;
  for (std::size_t i = offset; i < rooms.size() && chunk.size() < limit; ++i) chunk.push_back(rooms[i]);
  json::object response{{"chunk", std::move(chunk)}, {"total_room_count_estimate", rooms.size()}};
  if (limit > 0 && offset + limit < rooms.size()) response["next_batch"] = "o" + std::to_string(offset + limit);
  if (offset > 0) response["prev_batch"] = "o" + std::to_string(offset > limit ? offset - limit : 0);
  return response;
}

PublicRoomsQuery public_rooms_query_of_params(std::optional<std::string> limit_text, std::optional<std::string> since) {
  std::optional<std::int64_t> limit;
  if (limit_text) {
    try {
      limit = std::stoll(*limit_text);
    } catch (const std::exception&) {
      throw invalid_param("limit must be an integer");
    }
  }
  return {parse_limit(limit), since ? parse_offset(*since) : 0, "", std::nullopt};
}

PublicRoomsQuery public_rooms_query_of_body(const json::object& body) {
  auto since = optional_string(body, "since");
  PublicRoomsQuery query{parse_limit(optional_int(body, "limit")), since ? parse_offset(*since) : 0, "", std::nullopt};
  if (const auto* filter = optional_object(body, "filter")) {
    query.term = optional_string(*filter, "generic_search_term").value_or("");
    if (const auto* types = filter->if_contains("room_types"); types && types->is_array()) {
      query.room_types.emplace();
      for (const auto& type : types->as_array())
        query.room_types->push_back(type.is_string() ? std::string(type.as_string()) : std::string{});
    }
  }
  return query;
}

namespace {

std::string encode_query_value(const std::string& value) {
  return boost::urls::encode(value, boost::urls::unreserved_chars);
}

boost::asio::awaitable<http::Response> remote_public_rooms(ClientServices& services, std::string server, verb method,
                                                           std::string uri, std::optional<json::object> body) {
  if (!is_valid_server_name(server)) throw invalid_param("Invalid server name");
  if (!services.federation_call) throw not_found("This server does not federate: no directory of " + server);
  auto asking = services.federation_call(std::move(server), method == verb::post ? "POST" : "GET", std::move(uri),
                                         std::move(body));
  co_return http::Response::json(co_await std::move(asking));
}

}  // namespace

void register_directory_routes(http::Router& router, ClientServices& services) {
  router.add_client_async(verb::get, "/directory/room/{roomAlias}", http::Auth::optional,
                          [&services](http::Request& request) { return resolve_alias(services, request.path_params[0]); });
  router.add_client(verb::put, "/directory/room/{roomAlias}", http::Auth::required, [&services](http::Request& request) {
    auto alias = checked_local_alias(services, request.path_params[0]);
    auto body = request.json_body();
    auto room_id = required_string(body, "room_id");
    require_room(services, room_id);
    require_alias_not_exclusive(services, request, alias);
    if (!services.directory.put_alias(alias, room_id, request.user_id))
      throw ApiError(409, "M_UNKNOWN", "Room alias " + alias + " already exists");
    return http::Response::json(json::object{});
  });
  router.add_client(verb::delete_, "/directory/room/{roomAlias}", http::Auth::required,
                    [&services](http::Request& request) {
                      auto alias = checked_local_alias(services, request.path_params[0]);
                      auto record = services.directory.lookup(alias);
                      if (!record) throw not_found("Room alias " + alias + " not found");
                      const auto& room_id = record->room_id;
                      bool allowed = record->creator == request.user_id;
                      if (!allowed && services.rooms.room_exists(room_id)) {
                        std::int64_t needed = 0;
                        allowed = services.rooms.current_membership(room_id, request.user_id) == "join" &&
                                  user_power(services, room_id, request.user_id, needed) >= needed;
                      }
                      if (!allowed) {
                        auto account = services.accounts.find(request.user_id);
                        allowed = account && account->admin;
                      }
                      if (!allowed) throw forbidden("You may not delete this alias");
                      if (!services.directory.remove_alias(alias)) throw not_found("Room alias " + alias + " not found");
                      return http::Response::json(json::object{});
                    });
  router.add_client(verb::get, "/rooms/{roomId}/aliases", http::Auth::required, [&services](http::Request& request) {
    const auto& room_id = request.path_params[0];
    require_room(services, room_id);
    if (services.rooms.current_membership(room_id, request.user_id) != "join")
      throw forbidden("You are not joined to this room");
    json::array aliases;
    for (const auto& alias : services.directory.aliases_of(room_id)) aliases.push_back(json::string(alias));
    return http::Response::json(json::object{{"aliases", std::move(aliases)}});
  });

  router.add_client(verb::get, "/directory/list/room/{roomId}", http::Auth::none, [&services](http::Request& request) {
    const auto& room_id = request.path_params[0];
    require_room(services, room_id);
    bool listed = services.directory.is_listed(room_id);
    return http::Response::json(json::object{{"visibility", listed ? "public" : "private"}});
  });
  router.add_client(verb::put, "/directory/list/room/{roomId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      require_room(services, room_id);
                      auto body = request.json_body();
                      auto visibility = optional_string(body, "visibility").value_or("public");
                      if (visibility != "public" && visibility != "private")
                        throw invalid_param("visibility must be public or private");
                      std::int64_t needed = 0;
                      if (services.rooms.current_membership(room_id, request.user_id) != "join" ||
                          user_power(services, room_id, request.user_id, needed) < needed)
                        throw forbidden("You may not change this room's visibility");
                      services.directory.set_listed(room_id, visibility == "public");
                      return http::Response::json(json::object{});
                    });

  // ?server= another server: its directory, asked over federation (GET or POST
  // /_matrix/federation/v1/publicRooms).
  router.add_client_async(verb::get, "/publicRooms", http::Auth::optional,
                          [&services](http::Request& request) -> boost::asio::awaitable<http::Response> {
                            auto query = public_rooms_query_of_params(request.query_param("limit"),
                                                                      request.query_param("since"));
                            auto server = request.query_param("server");
                            if (server && *server != services.config.server_name) {
                              std::string uri = "/_matrix/federation/v1/publicRooms?limit=" + std::to_string(query.limit);
                              if (auto since = request.query_param("since")) uri += "&since=" + encode_query_value(*since);
                              auto asking = remote_public_rooms(services, *server, verb::get, uri, std::nullopt);
                              co_return co_await std::move(asking);
                            }
                            auto listing = [&] { return list_public_rooms(services, query); };
                            co_return http::Response::json(co_await http::run_blocking(services.blocking_pool, listing));
                          });
  router.add_client_async(verb::post, "/publicRooms", http::Auth::required,
                          [&services](http::Request& request) -> boost::asio::awaitable<http::Response> {
                            auto body = request.json_body();
                            auto query = public_rooms_query_of_body(body);
                            auto server = request.query_param("server");
                            if (server && *server != services.config.server_name) {
                              auto asking = remote_public_rooms(services, *server, verb::post,
                                                                "/_matrix/federation/v1/publicRooms", std::move(body));
                              co_return co_await std::move(asking);
                            }
                            auto listing = [&] { return list_public_rooms(services, query); };
                            co_return http::Response::json(co_await http::run_blocking(services.blocking_pool, listing));
                          });
}

}  // namespace domovoy
