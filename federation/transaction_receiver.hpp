#pragma once
// PUT /_matrix/federation/v1/send/{txnId} (server-server-api "Transactions"): at most 50 PDUs
// and 100 EDUs from the authenticated origin, answered once per origin and txn id (a replay gets
// the first answer, nothing is processed twice). Each PDU must be its origin's own, passes the
// format, signature and hash checks (pdu_checks.hpp) and the room engine's auth checks; missing
// prev events are asked of the origin (/get_missing_events), and a gap still open after that is
// bridged with the state the origin gives for the event (/state_ids, /event). The answer names
// every PDU with {} or its error.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <string>

#include "federation/federation_client.hpp"
#include "federation/key_fetcher.hpp"
#include "federation/request_authenticator.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "storage/database.hpp"

namespace domovoy::federation {

inline constexpr std::size_t kMaxPdusPerTransaction = 50;
inline constexpr std::size_t kMaxEdusPerTransaction = 100;

class TransactionReceiver {
 public:
  // EDUs (typing, receipts, ...) are handed to `on_edu` with their origin, on the blocking pool.
  using EduHandler = std::function<void(const std::string& origin, const boost::json::object& edu)>;

  TransactionReceiver(storage::Database& database, RoomEngine& rooms, FederationClient& client, KeyFetcher& keys,
                      boost::asio::thread_pool& blocking_pool, EduHandler on_edu);

  // Also serves what other servers fetch of a room's history: /event, /state_ids, /state,
  // /get_missing_events, /backfill, /event_auth.
  void register_routes(http::Router& router, RequestAuthenticator& authenticator);

 private:
  boost::asio::awaitable<http::Response> receive(http::Request& request);
  // The outcome of one PDU: "" when accepted, otherwise why not.
  boost::asio::awaitable<std::string> handle_pdu(const std::string& origin, boost::json::object pdu, int fetch_depth);
  // A PDU already parsed and checked (steps 1-3): its missing prev events fetched, then
  // accepted, soft-failed or rejected by the room engine. The error text, empty when taken.
  boost::asio::awaitable<std::string> handle_checked(const std::string& origin, const std::string& room_id,
                                                     std::shared_ptr<Event> event, int fetch_depth);
  boost::asio::awaitable<void> fetch_missing(const std::string& origin, const std::string& room_id,
                                             const Event& event, int fetch_depth);
  boost::asio::awaitable<std::optional<StateMap>> fetch_state_before(const std::string& origin,
                                                                      const std::string& room_id,
                                                                      const Event& event);
  // Whether the requesting server may see the room's history: one of its users is in the room.
  bool server_in_room(const std::string& room_id, const std::string& server);

  storage::Database& database_;
  RoomEngine& rooms_;
  FederationClient& client_;
  KeyFetcher& keys_;
  boost::asio::thread_pool& blocking_pool_;
  EduHandler on_edu_;
};

}  // namespace domovoy::federation
