#include "federation/membership_api.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <spdlog/spdlog.h>

#include "federation/pdu_checks.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy::federation {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {
void require_acl(RoomEngine& rooms, const std::string& room_id, const std::string& origin) {
  if (!rooms.server_allowed_in(room_id, origin)) throw forbidden("The room's server ACL denies " + origin);
}

std::string encode(std::string_view segment) { return boost::urls::encode(segment, boost::urls::unreserved_chars); }

json::array pdus_of(RoomEngine& rooms, const std::vector<std::string>& ids) {
  json::array pdus;
  for (const auto& id : ids)
    if (auto event = rooms.get_event(id); event && !event->rejected) pdus.push_back(event->pdu);
  return pdus;
}

std::string make_uri(std::string_view kind, const std::string& room_id, const std::string& user_id) {
  std::string uri = "/_matrix/federation/v1/make_" + std::string(kind) + "/" + encode(room_id) + "/" + encode(user_id);
  char separator = '?';
  for (auto it = supported_room_versions_begin(); it != supported_room_versions_end(); ++it) {
    uri += separator + std::string("ver=") + std::string(it->id);
    separator = '&';
  }
  return uri;
}

// Adds this server's signature to an event another server made (a restricted join it authorised).
void co_sign(json::object& pdu, const RoomVersion& version, const ServerIdentity& identity) {
  auto redacted = redact_event(pdu, version);
  sign_json(redacted, identity.server_name, identity.signing_key);
  auto& ours = redacted["signatures"].as_object()[identity.server_name];
  auto& signatures = pdu["signatures"].as_object();
  signatures[identity.server_name] = ours;
}
}  // namespace

MembershipApi::MembershipApi(RoomEngine& rooms, RoomService& room_service, FederationClient& client, KeyFetcher& keys,
                             boost::asio::thread_pool& blocking_pool, const ServerIdentity& identity,
                             std::function<bool(const std::string&)> local_user_exists)
    : rooms_(rooms),
      room_service_(room_service),
      client_(client),
      keys_(keys),
      blocking_pool_(blocking_pool),
      identity_(identity),
      local_user_exists_(std::move(local_user_exists)) {}

void MembershipApi::register_routes(http::Router& router, RequestAuthenticator& authenticator) {
  add_federation_route(
      router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/make_join/{roomId}/{userId}",
      [this](http::Request& request) {
        const auto& room_id = request.path_params[0];
        const auto& user_id = request.path_params[1];
        if (!is_valid_user_id(user_id) || server_name_of(user_id) != request.origin)
          throw forbidden("The user is not of the requesting server");
        const auto* version = rooms_.room_version(room_id);
        if (!version) throw not_found("Unknown room " + room_id);
        require_acl(rooms_, room_id, request.origin);
        auto supported = request.query_params("ver");
        if (std::find(supported.begin(), supported.end(), version->id) == supported.end())
          throw ApiError(400, "M_INCOMPATIBLE_ROOM_VERSION", "The room's version is not one the server supports",
                         json::object{{"room_version", version->id}});
        auto event = rooms_.membership_template(room_id, user_id, "join");
        return http::Response::json(json::object{{"room_version", version->id}, {"event", std::move(event)}});
      });
  router.add_async(verb::put, "/_matrix/federation/v2/send_join/{roomId}/{eventId}", http::Auth::none,
                   [this, &authenticator](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     request.origin = co_await authenticator.authenticate(request);
                     co_return co_await send_join(request);
                   });
  add_federation_route(
      router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/make_leave/{roomId}/{userId}",
      [this](http::Request& request) {
        const auto& room_id = request.path_params[0];
        const auto& user_id = request.path_params[1];
        if (!is_valid_user_id(user_id) || server_name_of(user_id) != request.origin)
          throw forbidden("The user is not of the requesting server");
        const auto* version = rooms_.room_version(room_id);
        if (!version) throw not_found("Unknown room " + room_id);
        require_acl(rooms_, room_id, request.origin);
        auto event = rooms_.membership_template(room_id, user_id, "leave");
        return http::Response::json(json::object{{"room_version", version->id}, {"event", std::move(event)}});
      });
  router.add_async(verb::put, "/_matrix/federation/v2/send_leave/{roomId}/{eventId}", http::Auth::none,
                   [this, &authenticator](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     request.origin = co_await authenticator.authenticate(request);
                     co_return co_await send_leave(request);
                   });
  add_federation_route(
      router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/make_knock/{roomId}/{userId}",
      [this](http::Request& request) {
        const auto& room_id = request.path_params[0];
        const auto& user_id = request.path_params[1];
        if (!is_valid_user_id(user_id) || server_name_of(user_id) != request.origin)
          throw forbidden("The user is not of the requesting server");
        const auto* version = rooms_.room_version(room_id);
        if (!version) throw not_found("Unknown room " + room_id);
        require_acl(rooms_, room_id, request.origin);
        auto supported = request.query_params("ver");
        if (std::find(supported.begin(), supported.end(), version->id) == supported.end())
          throw ApiError(400, "M_INCOMPATIBLE_ROOM_VERSION", "The room's version is not one the server supports",
                         json::object{{"room_version", version->id}});
        auto join_rules = rooms_.state_event(rooms_.current_state(room_id), "m.room.join_rules", "");
        const auto* rule = join_rules ? join_rules->content().if_contains("join_rule") : nullptr;
        if (!rule || !rule->is_string() || (rule->as_string() != "knock" && rule->as_string() != "knock_restricted"))
          throw forbidden("The room does not take knocks");
        auto event = rooms_.membership_template(room_id, user_id, "knock");
        return http::Response::json(json::object{{"room_version", version->id}, {"event", std::move(event)}});
      });
  router.add_async(verb::put, "/_matrix/federation/v1/send_knock/{roomId}/{eventId}", http::Auth::none,
                   [this, &authenticator](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     request.origin = co_await authenticator.authenticate(request);
                     co_return co_await send_knock(request);
                   });
  router.add_async(verb::put, "/_matrix/federation/v2/invite/{roomId}/{eventId}", http::Auth::none,
                   [this, &authenticator](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     request.origin = co_await authenticator.authenticate(request);
                     co_return co_await receive_invite(request);
                   });
}

boost::asio::awaitable<std::pair<std::shared_ptr<Event>, const RoomVersion*>> MembershipApi::received_membership(
    http::Request& request, std::string membership) {
  const auto& room_id = request.path_params[0];
  const auto& event_id = request.path_params[1];
  auto body = request.json_body();
  auto find_version = [&] { return rooms_.room_version(room_id); };
  const auto* version = co_await http::run_blocking(blocking_pool_, find_version);
  if (!version) throw not_found("Unknown room " + room_id);
  std::shared_ptr<Event> event;
  try {
    event = parse_pdu(body, *version, room_id);
    if (event->event_id != event_id) throw PduError("the event id is not the one in the path");
    if (event->type != "m.room.member" || event->membership() != membership) throw PduError("not a " + membership);
    if (!event->state_key || *event->state_key != event->sender) throw PduError("the state_key is not the sender");
    if (server_name_of(event->sender) != request.origin) throw PduError("the sender is not of the requesting server");
  } catch (const PduError& error) {
    throw invalid_param("Invalid " + membership + " event: " + error.what());
  }
  // A restricted join one of this server's users is to authorise: this server decides whether the
  // joiner meets the room's allow conditions, then adds the signature the join needs from it.
  const auto& content = event->pdu.at("content").as_object();
  if (const auto* via = content.if_contains("join_authorised_via_users_server");
      membership == "join" && via && via->is_string() && server_name_of(via->as_string()) == identity_.server_name) {
    auto sender = event->sender;
    auto allowed = [&] { return rooms_.may_authorise_restricted_join(room_id, sender); };
    if (!co_await http::run_blocking(blocking_pool_, allowed))
      throw ApiError(403, "M_FORBIDDEN", "The joiner is in no room the join rules allow");
    co_sign(event->pdu, *version, identity_);
  }
  try {
    co_await check_signatures_and_hash(keys_, event, *version);
  } catch (const PduError& error) {
    throw invalid_param("Invalid " + membership + " event: " + error.what());
  }
  co_return std::pair{event, version};
}

boost::asio::awaitable<http::Response> MembershipApi::send_leave(http::Request& request) {
  const auto& room_id = request.path_params[0];
  auto receiving = received_membership(request, "leave");
  auto received = co_await std::move(receiving);
  // Named, not bound: a lambda below captures it (clang 14 refuses structured bindings there).
  std::shared_ptr<Event> leave = received.first;
  leave->relay = true;
  auto accept = [&]() -> http::Response {
    require_acl(rooms_, room_id, request.origin);
    auto result = rooms_.accept_remote_event(room_id, leave);
    using Outcome = RoomEngine::RemoteOutcome;
    if (result.outcome != Outcome::accepted && result.outcome != Outcome::already_known)
      throw forbidden("The leave is not allowed: " + result.reason);
    return http::Response::json(json::object{});
  };
  co_return co_await http::run_blocking(blocking_pool_, accept);
}

boost::asio::awaitable<http::Response> MembershipApi::send_knock(http::Request& request) {
  const auto& room_id = request.path_params[0];
  auto receiving = received_membership(request, "knock");
  auto received = co_await std::move(receiving);
  std::shared_ptr<Event> knock = received.first;  // named: captured below (clang 14)
  knock->relay = true;
  auto accept = [&]() -> http::Response {
    require_acl(rooms_, room_id, request.origin);
    auto result = rooms_.accept_remote_event(room_id, knock);
    using Outcome = RoomEngine::RemoteOutcome;
    if (result.outcome != Outcome::accepted && result.outcome != Outcome::already_known)
      throw forbidden("The knock is not allowed: " + result.reason);
    return http::Response::json(json::object{{"knock_room_state", stripped_state(room_id, knock->sender)}});
  };
  co_return co_await http::run_blocking(blocking_pool_, accept);
}

json::array MembershipApi::stripped_state(const std::string& room_id, const std::string& member) const {
  json::array stripped;
  auto state = rooms_.current_state(room_id);
  for (auto type : {"m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar", "m.room.canonical_alias",
                    "m.room.encryption", "m.room.topic"})
    if (auto event = rooms_.state_event(state, type, "")) {
      json::object entry{{"type", event->type}, {"state_key", *event->state_key}, {"sender", event->sender},
                         {"content", event->content()}};
      stripped.push_back(std::move(entry));
    }
  if (auto own = rooms_.state_event(state, "m.room.member", member))
    stripped.push_back(json::object{{"type", own->type}, {"state_key", member}, {"sender", own->sender},
                                    {"content", own->content()}});
  return stripped;
}

boost::asio::awaitable<void> MembershipApi::knock_remote(std::string room_id, std::vector<std::string> servers,
                                                         std::string user_id, json::object content) {
  std::string last_error = "no server to knock through";
  unsigned last_status = 404;
  std::string last_errcode = "M_NOT_FOUND";
  for (const auto& server : servers) {
    if (server == identity_.server_name) continue;
    FederationRequest make;
    make.destination = server;
    make.uri = make_uri("knock", room_id, user_id);
    auto made = co_await client_.request(make);
    if (!made.success() || !made.body.is_object()) {
      last_error = made.ok() ? server + " refused make_knock (" + made.errcode() + ")" : made.message;
      bool refused = made.ok() && made.status >= 400 && made.status < 500 && !made.errcode().empty();
      last_status = refused ? made.status : 502;
      last_errcode = refused ? made.errcode() : "M_UNKNOWN";
      continue;
    }
    std::string why;
    auto filled = fill_template(made.body.as_object(), room_id, user_id, "knock", content, why);
    if (!filled) {
      last_error = server + " answered make_knock with " + why;
      last_status = 502, last_errcode = "M_UNKNOWN";
      continue;
    }
    FederationRequest send;
    send.destination = server;
    send.method = verb::put;
    send.uri = "/_matrix/federation/v1/send_knock/" + encode(room_id) + "/" + encode(filled->event_id);
    send.body = filled->pdu;
    auto sent = co_await client_.request(send);
    if (!sent.success() || !sent.body.is_object()) {
      last_error = sent.ok() ? server + " refused send_knock (" + sent.errcode() + ")" : sent.message;
      bool refused = sent.ok() && sent.status >= 400 && sent.status < 500 && !sent.errcode().empty();
      last_status = refused ? sent.status : 502;
      last_errcode = refused ? sent.errcode() : "M_UNKNOWN";
      continue;
    }
    json::array knock_state;
    if (const auto* state = sent.body.as_object().if_contains("knock_room_state"); state && state->is_array())
      for (const auto& entry : state->as_array())
        if (entry.is_object() && knock_state.size() < 50) knock_state.push_back(entry);
    auto keep = [&] {
      auto knock = Event::from_pdu(filled->pdu, filled->event_id, room_id);
      rooms_.store_remote_membership(knock, std::move(knock_state));
    };
    co_await http::run_blocking(blocking_pool_, keep);
    co_return;
  }
  throw ApiError(last_status, last_errcode, "Cannot knock: " + last_error);
}

boost::asio::awaitable<void> MembershipApi::leave_remote(std::string room_id, std::string user_id, json::object content) {
  auto inviter_server = [&]() -> std::string {
    auto record = rooms_.membership_record(room_id, user_id);
    if (!record || record->membership != "invite") throw forbidden("You are not invited to this room");
    auto invite = rooms_.get_event(record->event_id);
    if (!invite) throw forbidden("You are not invited to this room");
    return std::string(server_name_of(invite->sender));
  };
  auto server = co_await http::run_blocking(blocking_pool_, inviter_server);
  FederationRequest make;
  make.destination = server;
  make.uri = make_uri("leave", room_id, user_id);
  auto made = co_await client_.request(make);
  if (made.failure == FederationResponse::Failure::not_allowed) throw forbidden(made.message);
  if (!made.success() || !made.body.is_object())
    throw ApiError(502, "M_UNKNOWN", "Cannot refuse the invite through " + server + ": " +
                                         (made.ok() ? "status " + std::to_string(made.status) : made.message));
  std::string why;
  auto filled = fill_template(made.body.as_object(), room_id, user_id, "leave", content, why);
  if (!filled) throw ApiError(502, "M_UNKNOWN", server + " answered make_leave with " + why);
  FederationRequest send;
  send.destination = server;
  send.method = verb::put;
  send.uri = "/_matrix/federation/v2/send_leave/" + encode(room_id) + "/" + encode(filled->event_id);
  send.body = filled->pdu;
  auto sent = co_await client_.request(send);
  if (!sent.success())
    throw ApiError(502, "M_UNKNOWN", server + " refused the leave: " +
                                         (sent.ok() ? "status " + std::to_string(sent.status) : sent.message));
  auto keep = [&] {
    auto leave = Event::from_pdu(filled->pdu, filled->event_id, room_id);
    rooms_.store_remote_membership(leave, std::nullopt);
  };
  co_await http::run_blocking(blocking_pool_, keep);
}

boost::asio::awaitable<http::Response> MembershipApi::receive_invite(http::Request& request) {
  const auto& room_id = request.path_params[0];
  const auto& event_id = request.path_params[1];
  auto body = request.json_body();
  const auto* version_value = body.if_contains("room_version");
  const RoomVersion* version =
      version_value && version_value->is_string() ? find_room_version(version_value->as_string()) : nullptr;
  if (!version)
    throw ApiError(400, "M_INCOMPATIBLE_ROOM_VERSION", "This server does not support the room's version",
                   json::object{{"room_version", version_value && version_value->is_string() ? *version_value : json::value{}}});
  const auto* event_value = body.if_contains("event");
  if (!event_value || !event_value->is_object()) throw bad_json("Missing event");
  json::array stripped;
  if (const auto* state = body.if_contains("invite_room_state"); state && state->is_array())
    for (const auto& entry : state->as_array())
      if (entry.is_object() && stripped.size() < 50) stripped.push_back(entry);
  std::shared_ptr<Event> invite;
  try {
    invite = parse_pdu(event_value->as_object(), *version, room_id);
    if (invite->event_id != event_id) throw PduError("the event id is not the one in the path");
    if (invite->type != "m.room.member" || invite->membership() != "invite") throw PduError("not an invite");
    if (!invite->state_key || server_name_of(*invite->state_key) != identity_.server_name)
      throw PduError("the invitee is not of this server");
    if (server_name_of(invite->sender) != request.origin) throw PduError("the sender is not of the requesting server");
    co_await check_signatures_and_hash(keys_, invite, *version);
  } catch (const PduError& error) {
    throw invalid_param(std::string("Invalid invite: ") + error.what());
  }
  auto store = [&]() -> http::Response {
    if (!local_user_exists_(*invite->state_key)) throw not_found("Unknown user " + *invite->state_key);
    co_sign(invite->pdu, *version, identity_);
    if (rooms_.room_exists(room_id)) {
      require_acl(rooms_, room_id, request.origin);
      // This server is in the room already: the invite arrives as any event of the room will.
      if (rooms_.current_membership(room_id, *invite->state_key) == "ban") throw forbidden("The user is banned");
    } else {
      rooms_.store_remote_membership(std::make_shared<Event>(*invite), std::move(stripped));
    }
    auto signed_event = invite->pdu;
    signed_event.erase("unsigned");
    return http::Response::json(json::object{{"event", std::move(signed_event)}});
  };
  co_return co_await http::run_blocking(blocking_pool_, store);
}

boost::asio::awaitable<void> MembershipApi::invite_remote(std::string room_id, std::string sender, std::string target,
                                                          json::object content) {
  auto prepare = [&] { return room_service_.prepare_remote_invite(room_id, sender, target, content); };
  auto invite = co_await http::run_blocking(blocking_pool_, prepare);
  const auto* version = rooms_.room_version(room_id);
  auto stripped_state_of = [&] { return stripped_state(room_id, sender); };
  auto stripped = co_await http::run_blocking(blocking_pool_, stripped_state_of);
  FederationRequest request;
  request.destination = std::string(server_name_of(target));
  request.method = verb::put;
  request.uri = "/_matrix/federation/v2/invite/" + encode(room_id) + "/" + encode(invite->event_id);
  request.body = json::object{{"room_version", version->id}, {"event", invite->pdu}, {"invite_room_state", std::move(stripped)}};
  auto response = co_await client_.request(request);
  if (response.failure == FederationResponse::Failure::not_allowed) throw forbidden(response.message);
  if (!response.ok()) throw ApiError(502, "M_UNKNOWN", "Cannot reach " + request.destination);
  if (!response.success()) {
    auto errcode = response.errcode();
    if (response.status >= 400 && response.status < 500 && !errcode.empty())
      throw ApiError(response.status == 404 ? 404 : 403, response.status == 404 ? "M_NOT_FOUND" : "M_FORBIDDEN",
                     request.destination + " refused the invite (" + errcode + ": " + response.error() + ")");
    throw ApiError(502, "M_UNKNOWN", request.destination + " answered the invite with " + std::to_string(response.status));
  }
  const auto* event = response.body.is_object() ? response.body.as_object().if_contains("event") : nullptr;
  if (!event || !event->is_object()) throw ApiError(502, "M_UNKNOWN", request.destination + " answered the invite without it");
  std::shared_ptr<Event> signed_invite;
  try {
    signed_invite = parse_pdu(event->as_object(), *version, room_id);
    if (signed_invite->event_id != invite->event_id) throw PduError("the invitee's server changed the invite");
  } catch (const PduError& error) {
    throw ApiError(502, "M_UNKNOWN", std::string("Bad answer to the invite: ") + error.what());
  }
  auto keep = [&] {
    auto result = rooms_.accept_remote_event(room_id, signed_invite);
    using Outcome = RoomEngine::RemoteOutcome;
    if (result.outcome != Outcome::accepted && result.outcome != Outcome::already_known)
      throw forbidden("The invite is no longer allowed: " + result.reason);
  };
  co_await http::run_blocking(blocking_pool_, keep);
}

boost::asio::awaitable<http::Response> MembershipApi::send_join(http::Request& request) {
  const auto& room_id = request.path_params[0];
  auto receiving = received_membership(request, "join");
  auto received = co_await std::move(receiving);
  // Named, not bound: a lambda below captures it (clang 14 refuses structured bindings there).
  std::shared_ptr<Event> join = received.first;
  // A restricted join one of this server's users authorised carries this server's signature too
  // (added by received_membership once the joiner was found to meet the allow conditions).
  const auto& content = join->pdu.at("content").as_object();
  bool authorised_here = false;
  if (const auto* via = content.if_contains("join_authorised_via_users_server"); via && via->is_string())
    authorised_here = server_name_of(via->as_string()) == identity_.server_name;
  join->relay = true;
  auto accept = [&]() -> http::Response {
    require_acl(rooms_, room_id, request.origin);
    auto result = rooms_.accept_remote_event(room_id, join);
    using Outcome = RoomEngine::RemoteOutcome;
    if (result.outcome != Outcome::accepted && result.outcome != Outcome::already_known)
      throw forbidden("The join is not allowed: " + result.reason);
    auto state_before = rooms_.state_at_group(result.event->state_group_before);
    std::vector<std::string> state_ids;
    for (const auto& [key, id] : *state_before) state_ids.push_back(id);
    auto with_join = state_ids;
    with_join.push_back(result.event->event_id);
    json::object answer{{"origin", identity_.server_name},
                        {"state", pdus_of(rooms_, state_ids)},
                        {"auth_chain", pdus_of(rooms_, rooms_.auth_chain_ids(with_join))},
                        {"members_omitted", false}};
    if (authorised_here) answer["event"] = result.event->pdu;
    return http::Response::json(std::move(answer));
  };
  co_return co_await http::run_blocking(blocking_pool_, accept);
}

std::optional<MembershipApi::Filled> MembershipApi::fill_template(const json::object& answer, const std::string& room_id,
                                                                  const std::string& user_id, const std::string& membership,
                                                                  const json::object& content, std::string& why) const {
  const auto* version_value = answer.if_contains("room_version");
  const RoomVersion* version =
      version_value && version_value->is_string() ? find_room_version(version_value->as_string()) : nullptr;
  const auto* template_value = answer.if_contains("event");
  if (!version || !template_value || !template_value->is_object()) {
    why = "no usable template";
    return std::nullopt;
  }
  // The template, with this server's say over what only the member decides.
  json::object pdu = template_value->as_object();
  for (const char* foreign : {"event_id", "hashes", "signatures", "unsigned"}) pdu.erase(foreign);
  auto is = [&](const char* name, std::string_view expected) {
    const auto* value = pdu.if_contains(name);
    return value && value->is_string() && value->as_string() == expected;
  };
  if (!is("type", "m.room.member") || !is("sender", user_id) || !is("state_key", user_id) || !is("room_id", room_id)) {
    why = "a template for something else";
    return std::nullopt;
  }
  json::object merged = pdu["content"].is_object() ? pdu["content"].as_object() : json::object{};
  for (const auto& member : content) merged[member.key()] = member.value();
  merged["membership"] = membership;
  pdu["content"] = std::move(merged);
  pdu["origin_server_ts"] = now_ms();
  if (!version->v11_redaction) pdu["origin"] = identity_.server_name;
  auto event_id = hash_and_sign_event(pdu, *version, identity_.server_name, identity_.signing_key);
  return Filled{version, std::move(pdu), std::move(event_id)};
}

boost::asio::awaitable<std::string> MembershipApi::join_remote(std::string room_id, std::vector<std::string> servers,
                                                               std::string user_id, json::object content) {
  std::string last_error = "no server to join the room through";
  unsigned last_status = 404;
  std::string last_errcode = "M_NOT_FOUND";
  for (const auto& server : servers) {
    if (server == identity_.server_name) continue;
    FederationRequest make;
    make.destination = server;
    make.uri = make_uri("join", room_id, user_id);
    auto made = co_await client_.request(make);
    if (!made.success() || !made.body.is_object()) {
      last_error = made.ok() ? server + " refused make_join (" + made.errcode() + ")" : made.message;
      if (made.ok() && made.status >= 400 && made.status < 500 && !made.errcode().empty()) {
        last_status = made.status;
        last_errcode = made.errcode();
      } else {
        last_status = 502;
        last_errcode = "M_UNKNOWN";
      }
      continue;
    }
    std::string why;
    auto filled = fill_template(made.body.as_object(), room_id, user_id, "join", content, why);
    if (!filled) {
      last_error = server + " answered make_join with " + why;
      continue;
    }
    const RoomVersion* version = filled->version;
    json::object pdu = std::move(filled->pdu);
    auto event_id = filled->event_id;

    FederationRequest send;
    send.destination = server;
    send.method = verb::put;
    send.uri = "/_matrix/federation/v2/send_join/" + encode(room_id) + "/" + encode(event_id);
    send.body = pdu;
    send.timeout = std::chrono::milliseconds(60000);
    auto sent = co_await client_.request(send);
    if (!sent.success() || !sent.body.is_object()) {
      last_error = sent.ok() ? server + " refused send_join (" + sent.errcode() + ")" : sent.message;
      if (sent.ok() && sent.status == 403) {
        last_status = 403;
        last_errcode = "M_FORBIDDEN";
      }
      continue;
    }
    const auto& joined = sent.body.as_object();
    // The resident server's copy, co-signed for a restricted join, is the join.
    json::object join_pdu = pdu;
    if (const auto* event = joined.if_contains("event"); event && event->is_object()) join_pdu = event->as_object();
    std::shared_ptr<Event> join;
    std::vector<std::shared_ptr<Event>> state, auth_chain;
    try {
      join = parse_pdu(join_pdu, *version, room_id);
      if (join->event_id != event_id) throw PduError("the resident server changed the join");
      co_await check_signatures_and_hash(keys_, join, *version);
      for (auto [field, target] : {std::pair{"state", &state}, std::pair{"auth_chain", &auth_chain}}) {
        const auto* list = joined.if_contains(field);
        if (!list || !list->is_array()) throw PduError(std::string("no ") + field);
        for (const auto& entry : list->as_array()) {
          if (!entry.is_object()) throw PduError(std::string(field) + " holds something that is not a PDU");
          auto event = parse_pdu(entry.as_object(), *version, room_id);
          co_await check_signatures_and_hash(keys_, event, *version);
          target->push_back(std::move(event));
        }
      }
    } catch (const PduError& error) {
      last_error = server + " answered send_join with an invalid room: " + error.what();
      spdlog::warn("join of {} through {}: {}", room_id, server, last_error);
      last_status = 502;
      last_errcode = "M_UNKNOWN";
      continue;
    }
    auto keep = [&] { return rooms_.join_remote_room(*version, room_id, state, auth_chain, join); };
    co_await http::run_blocking(blocking_pool_, keep);
    co_return room_id;
  }
  throw ApiError(last_status, last_errcode, "Cannot join " + room_id + ": " + last_error);
}

}  // namespace domovoy::federation
