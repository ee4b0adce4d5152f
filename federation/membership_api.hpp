#pragma once
// Joining rooms across servers (server-server-api "Joining Rooms"): make_join and send_join v2
// answered for other servers' users, and a local user's join of a room that lives on another
// server: the template asked of a resident server, signed here, sent back, and the room's state
// and auth chain checked and kept.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "federation/federation_client.hpp"
#include "federation/key_fetcher.hpp"
#include "federation/request_authenticator.hpp"
#include "homeserver/events/server_identity.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/rooms/room_service.hpp"

namespace domovoy::federation {

class MembershipApi {
 public:
  // `local_user_exists` says whether an invite's target is an account of this server.
  MembershipApi(RoomEngine& rooms, RoomService& room_service, FederationClient& client, KeyFetcher& keys,
                boost::asio::thread_pool& blocking_pool, const ServerIdentity& identity,
                std::function<bool(const std::string&)> local_user_exists);

  // GET /_matrix/federation/v1/make_join, PUT /_matrix/federation/v2/send_join,
  // PUT /_matrix/federation/v2/invite.
  void register_routes(http::Router& router, RequestAuthenticator& authenticator);

  // Joins `user_id` (of this server) to a room this server is not in, through the first of
  // `servers` that lets it. Returns the room id; throws ApiError (404 when no server knows the
  // room, 403 when the room refuses, 502 when none answers).
  boost::asio::awaitable<std::string> join_remote(std::string room_id, std::vector<std::string> servers,
                                                  std::string user_id, boost::json::object content);

  // Invites a user of another server (invite v2): the invite is built and signed here, signed by
  // the invitee's server, then stored and sent to the room. Throws ApiError (403 when that
  // server refuses, 502 when it cannot be reached).
  boost::asio::awaitable<void> invite_remote(std::string room_id, std::string sender, std::string target,
                                             boost::json::object content);

  // Knocks `user_id` on a room of another server, through the first of `servers` that lets it
  // (make_knock, send_knock); the knock is kept with the room's stripped state, shown in /sync's
  // rooms.knock. Throws ApiError (403 when the room refuses, 404 when no server knows it).
  boost::asio::awaitable<void> knock_remote(std::string room_id, std::vector<std::string> servers, std::string user_id,
                                            boost::json::object content);

  // Refuses an invite into a room of another server that this server is not in (make_leave,
  // send_leave through the inviter's server). Throws ApiError (403 without such an invite).
  boost::asio::awaitable<void> leave_remote(std::string room_id, std::string user_id, boost::json::object content);

 private:
  struct Filled {
    const RoomVersion* version;
    boost::json::object pdu;
    std::string event_id;
  };
  // A make_join / make_leave answer's template, checked, completed with `content` and signed.
  std::optional<Filled> fill_template(const boost::json::object& answer, const std::string& room_id,
                                      const std::string& user_id, const std::string& membership,
                                      const boost::json::object& content, std::string& why) const;
  // A send_join / send_leave body: the member event of the requesting server's user, in the path's
  // room and id, signed; with the room's version. Throws ApiError (404, 400 M_INVALID_PARAM).
  // A restricted join naming a user of this server as its authoriser is checked (the allow
  // conditions) and co-signed here before its signatures are verified.
  boost::asio::awaitable<std::pair<std::shared_ptr<Event>, const RoomVersion*>> received_membership(
      http::Request& request, std::string membership);
  boost::asio::awaitable<http::Response> send_join(http::Request& request);
  boost::asio::awaitable<http::Response> send_leave(http::Request& request);
  boost::asio::awaitable<http::Response> send_knock(http::Request& request);
  // What a knocker or an invitee may see of a room before joining (the spec's stripped state).
  boost::json::array stripped_state(const std::string& room_id, const std::string& member) const;
  boost::asio::awaitable<http::Response> receive_invite(http::Request& request);

  RoomEngine& rooms_;
  RoomService& room_service_;
  FederationClient& client_;
  KeyFetcher& keys_;
  boost::asio::thread_pool& blocking_pool_;
  const ServerIdentity& identity_;
  std::function<bool(const std::string&)> local_user_exists_;
};

}  // namespace domovoy::federation
