#pragma once
// The parts of the server that client-server handlers use, handed to each API area's routes.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/accounts/failed_login_limiter.hpp"
#include "homeserver/accounts/openid_tokens.hpp"
#include "homeserver/accounts/password_hasher.hpp"
#include "homeserver/accounts/registration_tokens.hpp"
#include "homeserver/appservice/namespaces.hpp"
#include "homeserver/client/user_interactive_auth.hpp"
#include "homeserver/core/config.hpp"
#include "homeserver/e2ee/device_key_store.hpp"
#include "homeserver/e2ee/key_backup_store.hpp"
#include "homeserver/e2ee/to_device_store.hpp"
#include "homeserver/push/push_rules.hpp"
#include "homeserver/push/pusher_store.hpp"
#include "homeserver/rooms/room_directory.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/rooms/report_store.hpp"
#include "homeserver/rooms/room_service.hpp"
#include "homeserver/sync/account_data_store.hpp"
#include "homeserver/sync/filter_store.hpp"
#include "homeserver/sync/notifier.hpp"
#include "homeserver/sync/presence.hpp"
#include "homeserver/sync/receipt_store.hpp"
#include "homeserver/sync/typing.hpp"
#include "homeserver/sync/unread_counts.hpp"

namespace domovoy {

struct ClientServices {
  const Config& config;
  RoomEngine& rooms;
  RoomDirectory& directory;
  RoomService& room_service;
  const appservice::AppserviceRegistry& appservices;
  AccountStore& accounts;
  AccountDataStore& account_data;
  FilterStore& filters;
  ReceiptStore& receipts;
  TypingTracker& typing;
  Notifier& notifier;
  PushRules& push_rules;
  UserInteractiveAuth& uia;
  PresenceTracker& presence;
  UnreadCounts& unread;
  PasswordHasher& passwords;
  FailedLoginLimiter& failed_logins;
  RegistrationTokens& registration_tokens;
  DeviceKeyStore& device_keys;
  ToDeviceStore& to_device;
  KeyBackupStore& key_backups;
  OpenIdTokens& openid_tokens;
  ReportStore& reports;
  PusherStore& pushers;
  // For coroutine handlers (those that await the password hasher) to do their storage work.
  boost::asio::thread_pool& blocking_pool;
  // Typing and receipts as EDUs, for the appservices that receive ephemeral events.
  std::function<void(boost::json::object edu, const std::string& room_id)> ephemeral_out = {};
  // Presence changes as EDUs, with the users who share a room with the one who changed.
  std::function<void(boost::json::object edu, const std::vector<std::string>& room_mates)> presence_out = {};
  // Asks the appservices about an unknown user or alias of their namespaces; true when one
  // answered that it exists (and so, by now, made it).
  std::function<bool(const std::string& user_id)> query_appservice_user = {};
  std::function<bool(const std::string& alias)> query_appservice_alias = {};
  // Asks another server (GET /_matrix/federation/v1/query/{type}) about what it holds: a
  // profile, an alias. Answers its JSON object or throws the ApiError to tell the client. Unset
  // without a federation listener: remote users and aliases are then not found.
  using FederationQuery = std::function<boost::asio::awaitable<boost::json::object>(
      std::string destination, std::string type, std::vector<std::pair<std::string, std::string>> arguments)>;
  FederationQuery federation_query = {};
  // Joins a local user to a room this server is not in, through one of `servers` (make_join,
  // send_join). Answers the room id or throws the ApiError to tell the client. Unset without
  // federation.
  using FederationJoin = std::function<boost::asio::awaitable<std::string>(
      std::string room_id, std::vector<std::string> servers, std::string user_id, boost::json::object content)>;
  FederationJoin federation_join = {};
  // Knocks on a room this server is not in, through one of `servers` (make_knock, send_knock);
  // throws the ApiError to tell the client. Unset without federation.
  using FederationKnock = std::function<boost::asio::awaitable<void>(
      std::string room_id, std::vector<std::string> servers, std::string user_id, boost::json::object content)>;
  FederationKnock federation_knock = {};
  // Invites a user of another server (invite v2); throws the ApiError to tell the client.
  using FederationInvite = std::function<boost::asio::awaitable<void>(std::string room_id, std::string sender,
                                                                      std::string target, boost::json::object content)>;
  FederationInvite federation_invite = {};
  // Refuses an invite into a room of another server this server is not in.
  using FederationLeave = std::function<boost::asio::awaitable<void>(std::string room_id, std::string user_id,
                                                                     boost::json::object content)>;
  FederationLeave federation_leave = {};
  // Asks another server for its users' keys: POST /_matrix/federation/v1/user/keys/{what}
  // ("query" or "claim") with `body`. Answers its JSON object or throws the ApiError for the
  // client's `failures`. Unset without federation.
  using FederationKeys = std::function<boost::asio::awaitable<boost::json::object>(
      std::string destination, std::string what, boost::json::object body)>;
  FederationKeys federation_keys = {};
  // Send-to-device messages for users of another server: the content of an m.direct_to_device EDU.
  std::function<void(const std::string& destination, boost::json::object content)> federation_to_device = {};
  // A local user's devices changed (tell_device_change): for the servers sharing a room.
  std::function<void(const std::string& user_id, const std::vector<std::string>& device_ids, bool deleted,
                     std::uint64_t stream)> federation_device_change = {};
  // Any other federation request a client's request needs (publicRooms, hierarchy): `method`
  // ("GET" or "POST") `uri` (path and query, percent-encoded) of `destination`, answered with
  // its JSON object, or the ApiError to tell the client. Unset without federation.
  using FederationCall = std::function<boost::asio::awaitable<boost::json::object>(
      std::string destination, std::string method, std::string uri, std::optional<boost::json::object> body)>;
  FederationCall federation_call = {};
  // Media of another server (GET /_matrix/federation/v1/media/download): its content type,
  // file name and bytes, or the ApiError to tell the client. Unset without federation.
  struct RemoteMedia {
    std::string content_type;
    std::string filename;
    std::string bytes;
  };
  using FederationMedia = std::function<boost::asio::awaitable<RemoteMedia>(std::string server_name, std::string media_id)>;
  FederationMedia federation_media = {};
  // A local user's typing or receipt as a federation EDU, for the other servers in the room.
  std::function<void(const std::string& room_id, boost::json::object edu)> federation_edu = {};

  std::string user_id_for(std::string_view localpart) const {
    return "@" + std::string(localpart) + ":" + config.server_name;
  }
  bool is_local_user(std::string_view user_id) const;
  // Users who share a joined room with `user_id` (including the user).
  std::vector<std::string> room_mates(const std::string& user_id) const;
  // Records that the user's devices or cross-signing keys changed and wakes the long-polls of
  // everyone who shares a room, whose clients then query the keys again; for a local user, the
  // other servers sharing a room are told too. `device_ids`: the devices that changed (none:
  // the cross-signing keys or signatures), `deleted` when they are gone.
  void tell_device_change(const std::string& user_id, const std::vector<std::string>& device_ids = {},
                          bool deleted = false);
  // Records a presence change and wakes the long-polls of everyone who shares a room.
  void set_presence(const std::string& user_id, const std::string& presence, std::optional<std::string> status_msg);
};

}  // namespace domovoy
