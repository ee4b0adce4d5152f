#pragma once
// The housing user (@domovoy:server) in direct messages: a resident invites it from any client
// (Element: "Start chat" with @domovoy), sends the code from the paper bill, and is answered in
// Russian and English with the rooms they have joined, or with why the code was refused. The
// same VerificationService decides as for POST /_domovoy/client/v1/verify.
#include <boost/asio/thread_pool.hpp>
#include <functional>

#include "homeserver/rooms/room_service.hpp"
#include "housing/service/provisioner.hpp"
#include "housing/service/verification_service.hpp"

namespace domovoy::housing {

class VerificationBot {
 public:
  VerificationBot(RoomService& rooms, Provisioner& provisioner, VerificationService& verification,
                  RegistryStore& registry, boost::asio::thread_pool& pool)
      : rooms_(rooms), provisioner_(provisioner), verification_(verification), registry_(registry), pool_(pool) {}

  // For RoomEngine::add_listener: looks at each new event, answers on the pool.
  void on_event(const EventPtr& event);

  // Joins the housing user to a room of another server through `via` (make_join, send_join),
  // then calls `joined` (on any thread). Unset without federation: such invites are left.
  using RemoteJoin = std::function<void(const std::string& room_id, const std::string& via, std::function<void()> joined)>;
  void set_remote_join(RemoteJoin join) { remote_join_ = std::move(join); }

 private:
  void accept_invite(const std::string& room_id, const std::string& inviter);
  void answer(const std::string& room_id, const std::string& sender, const std::string& text);
  void reply(const std::string& room_id, const std::string& text);

  RoomService& rooms_;
  Provisioner& provisioner_;
  VerificationService& verification_;
  RegistryStore& registry_;
  boost::asio::thread_pool& pool_;
  RemoteJoin remote_join_;
};

}  // namespace domovoy::housing
