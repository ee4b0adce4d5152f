#pragma once
// EDUs other servers send (server-server-api "Typing Notifications", "Receipts", "Device
// Management", "Send-to-device messaging", "Presence"): presence, typing and read receipts of their own users in
// rooms those users are joined to, handed to the same trackers local typing and receipts use,
// so /sync shows them alike; to-device messages from their users into local devices' inboxes
// (once per message_id); and device-list and cross-signing changes of their users, which make
// local room mates' clients query those keys again (over federation: nothing is cached here).
// An EDU about a user of another server, or in a room the user is not in, is dropped; unknown
// EDU types are ignored.
#include <boost/json/object.hpp>

#include <string>

#include "homeserver/client/services.hpp"

namespace domovoy::federation {

class EduReceiver {
 public:
  // Remote typing lasts this long unless renewed, as the spec's clients refresh it.
  static constexpr std::int64_t kTypingTimeoutMs = 30000;

  explicit EduReceiver(ClientServices& services) : services_(services) {}

  // Blocks (receipts are stored): run it off the network threads.
  void handle(const std::string& origin, const boost::json::object& edu);

 private:
  bool is_joined_member_of(const std::string& origin, const std::string& room_id, const std::string& user_id);
  void typing(const std::string& origin, const boost::json::object& content);
  void receipts(const std::string& origin, const boost::json::object& content);
  void to_device(const std::string& origin, const boost::json::object& content);
  void presence(const std::string& origin, const boost::json::object& content);
  void device_change(const std::string& origin, const boost::json::object& content);

  ClientServices& services_;
};

}  // namespace domovoy::federation
