#pragma once
// What a member's client set up for a room follows them into its replacement (room upgrades:
// "When a user joins the new room, the server should automatically transfer/replicate some of
// the user's personalized settings such as notifications, tags, etc."): on a local user's join
// of a room whose create event names a predecessor, their `m.tag` of the old room and their
// room push rule for it are copied, unless they have set their own for the new room already.
#include <string>

#include "homeserver/push/push_rules.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/sync/account_data_store.hpp"

namespace domovoy {

class UpgradeCarryOver {
 public:
  UpgradeCarryOver(RoomEngine& rooms, AccountDataStore& account_data, PushRules& push_rules, std::string server_name)
      : rooms_(rooms), account_data_(account_data), push_rules_(push_rules), server_name_(std::move(server_name)) {}

  // A room engine listener: acts on a local user's membership becoming join.
  void on_event(const Event& event);

 private:
  RoomEngine& rooms_;
  AccountDataStore& account_data_;
  PushRules& push_rules_;
  std::string server_name_;
};

}  // namespace domovoy
