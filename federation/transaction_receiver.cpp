#include "federation/transaction_receiver.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "federation/pdu_checks.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/pdu.hpp"
#include "homeserver/http/blocking.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::federation {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {
constexpr int kMaxFetchDepth = 2;          // rounds of get_missing_events for one PDU
constexpr std::size_t kMissingLimit = 10;  // events asked for per round
constexpr std::size_t kMaxStateFetch = 5000;  // events fetched to bridge one gap (a big building's members)
constexpr std::size_t kMaxServedEvents = 100;  // get_missing_events and backfill answer at most this many

std::string encode(std::string_view segment) { return boost::urls::encode(segment, boost::urls::unreserved_chars); }

std::vector<std::string> string_list(const json::value* value) {
  std::vector<std::string> list;
  if (value && value->is_array())
    for (const auto& entry : value->as_array())
      if (entry.is_string()) list.emplace_back(entry.as_string());
  return list;
}
}  // namespace

TransactionReceiver::TransactionReceiver(storage::Database& database, RoomEngine& rooms, FederationClient& client,
                                         KeyFetcher& keys, boost::asio::thread_pool& blocking_pool, EduHandler on_edu)
    : database_(database),
      rooms_(rooms),
      client_(client),
      keys_(keys),
      blocking_pool_(blocking_pool),
      on_edu_(std::move(on_edu)) {}

bool TransactionReceiver::server_in_room(const std::string& room_id, const std::string& server) {
  return rooms_.server_allowed_in(room_id, server) && rooms_.joined_servers(room_id).count(server) > 0;
}

void TransactionReceiver::register_routes(http::Router& router, RequestAuthenticator& authenticator) {
  router.add_async(verb::put, "/_matrix/federation/v1/send/{txnId}", http::Auth::none,
                   [this, &authenticator](http::Request& request) -> boost::asio::awaitable<http::Response> {
                     request.origin = co_await authenticator.authenticate(request);
                     co_return co_await receive(request);
                   });

  auto visible_event = [this](const http::Request& request, const std::string& event_id) {
    auto event = rooms_.get_event(event_id);
    if (!event || event->rejected || event->soft_failed) throw not_found("Unknown event " + event_id);
    if (!server_in_room(event->room_id, request.origin)) throw forbidden("Your server is not in the room");
    return event;
  };
  add_federation_route(router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/event/{eventId}",
                       [this, visible_event](http::Request& request) {
                         auto event = visible_event(request, request.path_params[0]);
                         return http::Response::json(json::object{{"origin", rooms_.identity().server_name},
                                                                  {"origin_server_ts", now_ms()},
                                                                  {"pdus", json::array{event->pdu}}});
                       });
  auto state_at = [this, visible_event](http::Request& request, bool ids_only) {
    const auto& room_id = request.path_params[0];
    auto event_id = request.query_param("event_id");
    if (!event_id) throw missing_param("Missing event_id");
    auto event = visible_event(request, *event_id);
    if (event->room_id != room_id) throw not_found("The event is not in this room");
    auto state = rooms_.state_at_group(event->state_group_before);
    std::vector<std::string> ids;
    for (const auto& [key, id] : *state) ids.push_back(id);
    auto chain = rooms_.auth_chain_ids(ids);
    json::array state_out, chain_out;
    for (const auto& id : ids) {
      if (ids_only) state_out.push_back(json::string(id));
      else if (auto e = rooms_.get_event(id)) state_out.push_back(e->pdu);
    }
    for (const auto& id : chain) {
      if (ids_only) chain_out.push_back(json::string(id));
      else if (auto e = rooms_.get_event(id)) chain_out.push_back(e->pdu);
    }
    if (ids_only)
      return http::Response::json(json::object{{"pdu_ids", std::move(state_out)}, {"auth_chain_ids", std::move(chain_out)}});
    return http::Response::json(json::object{{"pdus", std::move(state_out)}, {"auth_chain", std::move(chain_out)}});
  };
  add_federation_route(router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/state_ids/{roomId}",
                       [state_at](http::Request& request) { return state_at(request, true); });
  add_federation_route(router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/state/{roomId}",
                       [state_at](http::Request& request) { return state_at(request, false); });
  add_federation_route(router, authenticator, blocking_pool_, verb::get,
                       "/_matrix/federation/v1/event_auth/{roomId}/{eventId}",
                       [this, visible_event](http::Request& request) {
                         auto event = visible_event(request, request.path_params[1]);
                         json::array chain;
                         for (const auto& id : rooms_.auth_chain_ids({event->event_id}))
                           if (auto e = rooms_.get_event(id)) chain.push_back(e->pdu);
                         return http::Response::json(json::object{{"auth_chain", std::move(chain)}});
                       });
  // Walks prev_events back from `from`, newest first, stopping at `stop`, at most `limit`.
  auto walk_back = [this](const std::string& room_id, std::vector<std::string> from,
                          const std::unordered_set<std::string>& stop, std::size_t limit, std::int64_t min_depth,
                          bool include_from) {
    std::vector<EventPtr> found;
    std::unordered_set<std::string> seen(stop.begin(), stop.end());
    std::vector<std::string> frontier;
    for (auto& id : from) {
      if (!seen.insert(id).second) continue;
      auto event = rooms_.get_event(id);
      if (!event || event->room_id != room_id) continue;
      if (include_from) found.push_back(event);
      for (auto& prev : string_list(event->pdu.if_contains("prev_events"))) frontier.push_back(std::move(prev));
    }
    while (!frontier.empty() && found.size() < limit) {
      std::vector<std::string> next;
      for (auto& id : frontier) {
        if (found.size() >= limit) break;
        if (!seen.insert(id).second) continue;
        auto event = rooms_.get_event(id);
        if (!event || event->room_id != room_id || event->rejected || event->depth < min_depth) continue;
        found.push_back(event);
        for (auto& prev : string_list(event->pdu.if_contains("prev_events"))) next.push_back(std::move(prev));
      }
      frontier = std::move(next);
    }
    return found;
  };
  add_federation_route(
      router, authenticator, blocking_pool_, verb::post, "/_matrix/federation/v1/get_missing_events/{roomId}",
      [this, walk_back](http::Request& request) {
        const auto& room_id = request.path_params[0];
        if (!server_in_room(room_id, request.origin)) throw forbidden("Your server is not in the room");
        auto body = request.json_body();
        auto earliest = string_list(body.if_contains("earliest_events"));
        auto latest = string_list(body.if_contains("latest_events"));
        std::size_t limit = kMissingLimit;
        if (const auto* value = body.if_contains("limit"); value && value->is_int64() && value->as_int64() > 0)
          limit = std::min<std::size_t>(static_cast<std::size_t>(value->as_int64()), kMaxServedEvents);
        std::int64_t min_depth = 0;
        if (const auto* value = body.if_contains("min_depth"); value && value->is_int64()) min_depth = value->as_int64();
        auto found = walk_back(room_id, latest, {earliest.begin(), earliest.end()}, limit, min_depth, false);
        std::sort(found.begin(), found.end(), [](const EventPtr& a, const EventPtr& b) { return a->depth < b->depth; });
        json::array events;
        for (const auto& event : found) events.push_back(event->pdu);
        return http::Response::json(json::object{{"events", std::move(events)}});
      });
  add_federation_route(router, authenticator, blocking_pool_, verb::get, "/_matrix/federation/v1/backfill/{roomId}",
                       [this, walk_back](http::Request& request) {
                         const auto& room_id = request.path_params[0];
                         if (!server_in_room(room_id, request.origin)) throw forbidden("Your server is not in the room");
                         auto from = request.query_params("v");
                         if (from.empty()) throw missing_param("Missing v");
                         std::size_t limit = kMaxServedEvents;
                         if (auto text = request.query_param("limit")) {
                           try {
                             limit = std::clamp<std::size_t>(std::stoul(*text), 1, kMaxServedEvents);
                           } catch (const std::exception&) {
                             throw invalid_param("limit must be a number");
                           }
                         }
                         auto found = walk_back(room_id, from, {}, limit, 0, true);
                         json::array pdus;
                         for (const auto& event : found) pdus.push_back(event->pdu);
                         return http::Response::json(json::object{{"origin", rooms_.identity().server_name},
                                                                  {"origin_server_ts", now_ms()},
                                                                  {"pdus", std::move(pdus)}});
                       });
}

boost::asio::awaitable<http::Response> TransactionReceiver::receive(http::Request& request) {
  auto body = request.json_body();
  const auto& txn_id = request.path_params[0];
  const auto* pdus = body.if_contains("pdus");
  const auto* edus = body.if_contains("edus");
  if (!pdus || !pdus->is_array()) throw bad_json("pdus must be an array");
  if (edus && !edus->is_array()) throw bad_json("edus must be an array");
  if (pdus->as_array().size() > kMaxPdusPerTransaction) throw bad_json("A transaction holds at most 50 PDUs");
  if (edus && edus->as_array().size() > kMaxEdusPerTransaction) throw bad_json("A transaction holds at most 100 EDUs");
  if (const auto* origin = body.if_contains("origin"); origin && (!origin->is_string() || origin->as_string() != request.origin))
    throw bad_json("origin is not the server that signed the request");
  auto key = storage::join_key({request.origin, txn_id});
  auto previous = [&] { return database_.get(storage::Table::origintxn_result, key); };
  if (auto answered = co_await http::run_blocking(blocking_pool_, previous))
    co_return http::Response::json(parse_stored_json(*answered));

  // The PDUs in four phases, so that a transaction costs a few trips to the blocking pool
  // rather than several per PDU (each trip is two thread switches, which on a busy machine
  // cost more than the checks): (1) what needs the rooms' data, for all of them at once; (2)
  // signatures and hashes (keys from memory); (3) in one trip, in order, every PDU whose prev
  // events are all known, accepted without an fsync each (the answer's synced write below
  // makes them durable); (4) the rest one by one, fetching what they lack.
  struct Item {
    std::string event_id;
    std::string room_id;
    const RoomVersion* version = nullptr;
    std::shared_ptr<Event> event;
    std::string error;
    bool done = false;
  };
  std::vector<Item> items;
  auto preparing = [&] {
    for (const auto& entry : pdus->as_array()) {
      auto& item = items.emplace_back();
      if (!entry.is_object()) {
        item.done = true;
        continue;
      }
      const auto& pdu = entry.as_object();
      const auto* room = pdu.if_contains("room_id");
      if (!room || !room->is_string()) {
        item.error = "no room_id", item.done = true;
        continue;
      }
      item.room_id = std::string(room->as_string());
      item.version = rooms_.room_version(item.room_id);
      if (!item.version) {
        item.error = "this server is not in the room", item.done = true;
        continue;
      }
      try {
        item.event_id = event_id_of(pdu, *item.version);
      } catch (const std::exception&) {
      }
      if (!rooms_.server_allowed_in(item.room_id, request.origin)) {
        item.error = "the room's server ACL denies " + request.origin, item.done = true;
        continue;
      }
      // An event of another server's user is taken too when its server signed it (checked
      // next): a resident server passes on the joins and leaves it accepted for others.
      try {
        item.event = parse_pdu(pdu, *item.version, item.room_id);
      } catch (const PduError& error) {
        item.error = error.what(), item.done = true;
      }
    }
  };
  co_await http::run_blocking(blocking_pool_, preparing);
  for (auto& item : items) {
    if (item.done) continue;
    try {
      auto checking = check_signatures_and_hash(keys_, item.event, *item.version);
      co_await std::move(checking);
    } catch (const PduError& error) {
      item.error = error.what(), item.done = true;
    }
  }
  auto accepting = [&] {
    std::set<std::string> pending_rooms;  // a room with a PDU left for phase 4 keeps its order
    for (auto& item : items) {
      if (item.done || pending_rooms.contains(item.room_id)) {
        if (!item.done) pending_rooms.insert(item.room_id);
        continue;
      }
      bool all_known = true;
      for (const auto& id : string_list(item.event->pdu.if_contains("prev_events"))) {
        auto prev = rooms_.get_event(id);
        all_known &= prev && !prev->outlier && !prev->rejected;
      }
      if (!all_known) {
        pending_rooms.insert(item.room_id);
        continue;
      }
      auto result = rooms_.accept_remote_event(item.room_id, item.event, std::nullopt, false);
      using Outcome = RoomEngine::RemoteOutcome;
      if (result.outcome == Outcome::rejected) item.error = "rejected: " + result.reason;
      item.done = true;
    }
  };
  co_await http::run_blocking(blocking_pool_, accepting);
  for (auto& item : items) {
    if (item.done) continue;
    auto handling = handle_checked(request.origin, item.room_id, item.event, 0);
    item.error = co_await std::move(handling);
  }
  json::object results;
  for (const auto& item : items) {
    if (item.event_id.empty()) continue;  // nothing to name it by
    results[item.event_id] = item.error.empty() ? json::object{} : json::object{{"error", item.error}};
  }
  if (edus && on_edu_) {
    auto handle_edus = [&] {
      for (const auto& edu : edus->as_array())
        if (edu.is_object()) on_edu_(request.origin, edu.as_object());
    };
    co_await http::run_blocking(blocking_pool_, handle_edus);
  }
  json::object answer{{"pdus", std::move(results)}};
  auto keep = [&] {
    storage::WriteBatch batch;
    batch.put(storage::Table::origintxn_result, key, json::serialize(answer));
    database_.write(std::move(batch));
  };
  co_await http::run_blocking(blocking_pool_, keep);
  co_return http::Response::json(std::move(answer));
}

boost::asio::awaitable<std::string> TransactionReceiver::handle_pdu(const std::string& origin, json::object pdu,
                                                                    int fetch_depth) {
  const auto* room = pdu.if_contains("room_id");
  if (!room || !room->is_string()) co_return "no room_id";
  std::string room_id(room->as_string());
  std::shared_ptr<Event> event;
  // What needs the room's data, in one trip to the blocking pool: each trip is two thread
  // switches, which at thousands of PDUs a second cost more than the checks themselves.
  struct Prepared {
    const RoomVersion* version = nullptr;
    std::string refused;
  };
  auto preparing = [&] {
    Prepared prepared;
    prepared.version = rooms_.room_version(room_id);
    if (!prepared.version) {
      prepared.refused = "this server is not in the room";
    } else if (!rooms_.server_allowed_in(room_id, origin)) {
      prepared.refused = "the room's server ACL denies " + origin;
    } else {
      try {
        event = parse_pdu(pdu, *prepared.version, room_id);
      } catch (const PduError& error) {
        prepared.refused = error.what();
      }
    }
    return prepared;
  };
  auto prepared = co_await http::run_blocking(blocking_pool_, preparing);
  if (!prepared.refused.empty()) co_return prepared.refused;
  const auto* version = prepared.version;
  try {
    auto checking = check_signatures_and_hash(keys_, event, *version);
    co_await std::move(checking);
  } catch (const PduError& error) {
    co_return error.what();
  }
  auto handling = handle_checked(origin, room_id, std::move(event), fetch_depth);
  co_return co_await std::move(handling);
}

boost::asio::awaitable<std::string> TransactionReceiver::handle_checked(const std::string& origin,
                                                                        const std::string& room_id,
                                                                        std::shared_ptr<Event> event, int fetch_depth) {
  auto known_prevs = [&] {
    std::size_t known = 0;
    for (const auto& id : string_list(event->pdu.if_contains("prev_events")))
      if (auto prev = rooms_.get_event(id); prev && !prev->outlier && !prev->rejected) ++known;
    return known;
  };
  auto prev_count = string_list(event->pdu.if_contains("prev_events")).size();
  auto known = co_await http::run_blocking(blocking_pool_, known_prevs);
  std::optional<StateMap> state_before;
  if (known < prev_count && fetch_depth < kMaxFetchDepth) {
    auto fetching = fetch_missing(origin, room_id, *event, fetch_depth);
    co_await std::move(fetching);
    known = co_await http::run_blocking(blocking_pool_, known_prevs);
  }
  if (known == 0 && prev_count > 0) {
    auto fetching = fetch_state_before(origin, room_id, *event);
    state_before = co_await std::move(fetching);
    if (!state_before) co_return "the state before the event could not be fetched";
  }
  // Not synced one by one: the transaction's answer is written synced before it is sent, which
  // makes every PDU before it durable too.
  auto accept = [&] { return rooms_.accept_remote_event(room_id, event, state_before, false); };
  auto result = co_await http::run_blocking(blocking_pool_, accept);
  using Outcome = RoomEngine::RemoteOutcome;
  if (result.outcome == Outcome::accepted || result.outcome == Outcome::already_known) co_return "";
  if (result.outcome == Outcome::soft_failed) co_return "";  // stored; the spec answers it as received
  co_return "rejected: " + result.reason;
}

boost::asio::awaitable<void> TransactionReceiver::fetch_missing(const std::string& origin, const std::string& room_id,
                                                                const Event& event, int fetch_depth) {
  auto extremities_of = [&] { return rooms_.forward_extremities(room_id); };
  auto earliest = co_await http::run_blocking(blocking_pool_, extremities_of);
  json::array earliest_json, latest_json{json::string(event.event_id)};
  for (const auto& id : earliest) earliest_json.push_back(json::string(id));
  FederationRequest request;
  request.destination = origin;
  request.method = verb::post;
  request.uri = "/_matrix/federation/v1/get_missing_events/" + encode(room_id);
  request.body = json::object{{"limit", kMissingLimit}, {"min_depth", 0}, {"earliest_events", std::move(earliest_json)},
                              {"latest_events", std::move(latest_json)}};
  auto response = co_await client_.request(request);
  if (!response.success() || !response.body.is_object()) co_return;
  const auto* events = response.body.as_object().if_contains("events");
  if (!events || !events->is_array()) co_return;
  std::vector<json::object> missing;
  for (const auto& entry : events->as_array())
    if (entry.is_object()) missing.push_back(entry.as_object());
  std::sort(missing.begin(), missing.end(), [](const json::object& a, const json::object& b) {
    auto depth = [](const json::object& o) {
      const auto* d = o.if_contains("depth");
      return d && d->is_int64() ? d->as_int64() : 0;
    };
    return depth(a) < depth(b);
  });
  for (auto& pdu : missing) {
    auto handling = handle_pdu(origin, std::move(pdu), fetch_depth + 1);
    co_await std::move(handling);
  }
}

boost::asio::awaitable<std::optional<StateMap>> TransactionReceiver::fetch_state_before(const std::string& origin,
                                                                                         const std::string& room_id,
                                                                                         const Event& event) {
  const auto* version = rooms_.room_version(room_id);
  FederationRequest request;
  request.destination = origin;
  request.uri = "/_matrix/federation/v1/state_ids/" + encode(room_id) + "?event_id=" + encode(event.event_id);
  auto response = co_await client_.request(request);
  if (!response.success() || !response.body.is_object() || !version) co_return std::nullopt;
  auto state_ids = string_list(response.body.as_object().if_contains("pdu_ids"));
  auto chain_ids = string_list(response.body.as_object().if_contains("auth_chain_ids"));
  if (state_ids.size() + chain_ids.size() > kMaxStateFetch) co_return std::nullopt;
  std::vector<std::shared_ptr<Event>> fetched;
  StateMap state;
  for (const auto* list : {&chain_ids, &state_ids}) {
    for (const auto& id : *list) {
      auto known = rooms_.get_event(id);
      if (known) {
        if (list == &state_ids && known->state_key) state[StateKey{known->type, *known->state_key}] = id;
        continue;
      }
      FederationRequest get;
      get.destination = origin;
      get.uri = "/_matrix/federation/v1/event/" + encode(id);
      auto got = co_await client_.request(get);
      if (!got.success() || !got.body.is_object()) co_return std::nullopt;
      auto pdus = got.body.as_object().if_contains("pdus");
      if (!pdus || !pdus->is_array() || pdus->as_array().empty() || !pdus->as_array()[0].is_object()) co_return std::nullopt;
      try {
        auto fetched_event = parse_pdu(pdus->as_array()[0].as_object(), *version, room_id);
        if (fetched_event->event_id != id) throw PduError("the server answered another event");
        auto checking = check_signatures_and_hash(keys_, fetched_event, *version);
        co_await std::move(checking);
        if (list == &state_ids && fetched_event->state_key)
          state[StateKey{fetched_event->type, *fetched_event->state_key}] = id;
        fetched.push_back(std::move(fetched_event));
      } catch (const PduError& error) {
        spdlog::warn("state of {} from {}: {}", room_id, origin, error.what());
        co_return std::nullopt;
      }
    }
  }
  auto keep = [&] { rooms_.store_outliers(fetched); };
  co_await http::run_blocking(blocking_pool_, keep);
  co_return state;
}

}  // namespace domovoy::federation
