#pragma once
// The building's rooms belong to the building: the provisioner creates them (as the
// server-owned housing user), keeps their moderators and their members what the registry and
// the verifications say, and refuses everyone else. Every step is idempotent: rooms are
// created under keys ("dom:<building>:general"), and a user's memberships are brought to what
// they are entitled to (reconcile), so a crash at any point is finished by running it again.
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/core/config.hpp"
#include "homeserver/rooms/room_service.hpp"
#include "housing/service/registry_store.hpp"
#include "housing/service/verification_store.hpp"

namespace domovoy::housing {

class Provisioner {
 public:
  Provisioner(const Config& config, RoomService& rooms, AccountStore& accounts, RegistryStore& registry,
              VerificationStore& verifications);

  const std::string& bot_user_id() const { return bot_user_id_; }
  const std::string& notices_user_id() const { return notices_user_id_; }
  // Users of the housing appservice (its sender): members with moderator power everywhere.
  void set_housing_bots(std::vector<std::string> bots) { housing_bots_ = std::move(bots); }
  // Bots with one seat each kind of room: empty when the housing appservice has no such user.
  struct RoleBots {
    std::string meetings;  // a member of every owners' room
    std::string repairs;   // a member of every dispatchers' room
  };
  void set_role_bots(RoleBots bots) { role_bots_ = std::move(bots); }

  // Invites a user of another server into a room (the federation's invite v2), without waiting
  // for the answer. Unset without federation: residents of other servers are then not invited.
  using RemoteInvite = std::function<void(const std::string& room_id, const std::string& sender, const std::string& target)>;
  void set_remote_invite(RemoteInvite invite) { invite_remote_ = std::move(invite); }

  // Makes the housing user, then finishes what a crash left (pending buildings and users).
  void start();
  // Creates the building's missing rooms, sets their moderators and joins its staff; returns
  // the number of rooms created. Then the neighbourhoods and the companies' dispatchers' rooms.
  std::size_t provision_building(const std::string& building_id);
  std::size_t provision_neighbourhoods();
  std::size_t provision_dispatch_rooms();
  // Brings the user's memberships of housing rooms to what they are entitled to.
  void reconcile_user(const std::string& user_id, const std::string& reason = {});
  // Users whose entitlements a building's change may move (staff, chair, inspectors, residents).
  std::set<std::string> people_of_building(const std::string& building_id) const;

  // The rooms a verification gives: the answer of /verify.
  struct VerifiedRooms {
    std::string space, general, announcements, entrance, owners, neighbourhood;
  };
  VerifiedRooms rooms_for(const Verification& verification) const;

  // For RoomService's membership gate: throws 403 for a change into a housing room that the
  // target is not entitled to; lets an entitled user join by inviting them first.
  void check_membership(const std::string& room_id, const std::string& sender, const std::string& target,
                        const std::string& membership);

 private:
  struct Entitlement {
    std::set<std::string> rooms;
    std::set<std::string> moderated;  // rooms where the user holds power 50
  };
  // What reconciling a user needs from the registry, computed once per registry version (a
  // verification must not cost a walk of the region's buildings).
  struct RegistryIndex {
    std::shared_ptr<const Registry> registry;
    std::map<std::string, std::string> seed_of;  // building id -> its neighbourhood's seed
    std::map<std::string, std::vector<const Building*>> roles_of;  // staff or chair -> their buildings
  };
  std::shared_ptr<const RegistryIndex> index() const;
  Entitlement entitlement_of(const std::string& user_id) const;
  std::set<std::string> moderators_of_room(const std::string& room_id) const;
  std::string neighbourhood_of(const std::string& building_id) const;  // room id, or empty
  std::vector<std::string> neighbourhood_seeds_of(const Registry& registry, std::map<std::string, std::string>& seed_of) const;
  void ensure_account(const std::string& user_id);
  void sync_power_levels(const std::string& room_id);
  void join(const std::string& room_id, const std::string& user_id);
  void remove(const std::string& room_id, const std::string& user_id, const std::string& reason);
  std::string create_room(const std::string& key, const std::string& alias, const std::string& name,
                          const std::string& topic, bool space, const std::string& parent, bool announcements);
  std::mutex& lock_for(const std::string& user_id);

  const Config& config_;
  RoomService& rooms_;
  AccountStore& accounts_;
  RegistryStore& registry_;
  VerificationStore& verifications_;
  std::string bot_user_id_;
  std::string notices_user_id_;
  std::vector<std::string> housing_bots_;
  RoleBots role_bots_;
  RemoteInvite invite_remote_;
  std::array<std::mutex, 64> user_locks_;
  std::mutex provisioning_mutex_;
  mutable std::mutex index_mutex_;
  mutable std::shared_ptr<const RegistryIndex> index_;
};

// "г. Санкт-Петербург, ул. Ленина, д. 5" -> "Ленина, 5": what room names show.
std::string short_address(const std::string& address);

}  // namespace domovoy::housing
