#pragma once
// Verification of residents: codes printed on paper bills, requests the council chair approves,
// the operator's own verifications, revocation, and expiry with reminders. Each change of who
// lives where is written first (VerificationStore), then the user's memberships follow it
// (Provisioner::reconcile_user).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "homeserver/core/config.hpp"
#include "homeserver/rooms/room_service.hpp"
#include "housing/service/provisioner.hpp"
#include "housing/service/registry_store.hpp"
#include "housing/service/verification_store.hpp"

namespace domovoy::housing {

struct IssuedCode {
  std::string building_id;
  std::string apartment;
  std::string role;
  std::string code;  // as printed; only its hash is stored
  std::int64_t expires_at = 0;
};

class VerificationService {
 public:
  VerificationService(const Config& config, RegistryStore& registry, VerificationStore& store, Provisioner& provisioner,
                      RoomService& rooms);
  ~VerificationService();
  VerificationService(const VerificationService&) = delete;
  VerificationService& operator=(const VerificationService&) = delete;

  // One code per apartment and role when neither is given. Throws 404 for an unknown building
  // or apartment, 400 for a bad role or validity.
  std::vector<IssuedCode> issue_codes(const std::string& building_id, const std::optional<std::string>& apartment,
                                      const std::optional<std::string>& role, std::optional<unsigned> valid_days);
  // Throws 403 M_FORBIDDEN (wrong, used or expired: the reason says which) and 429 after too
  // many failures by the user.
  Verification redeem(const std::string& user_id, const std::string& code);
  Verification verify(const std::string& user_id, const std::string& building_id, const std::string& apartment,
                      const std::string& role, const std::string& method);
  // Removes the user from the building (one apartment or all); false when nothing was there.
  bool revoke(const std::string& user_id, const std::string& building_id, const std::string& apartment,
              const std::string& reason);

  VerificationRequest request(const std::string& user_id, const std::string& building_id, const std::string& apartment,
                              const std::string& role);
  // Approves or refuses a request as `decider`, who must be the building's chair or an admin
  // (`decider_is_admin`). Throws 404 for an unknown request, 403 for anyone else.
  VerificationRequest decide(const std::string& request_id, const std::string& decider, bool decider_is_admin, bool approve);

  // Lapses what expired and sends the reminders due; runs every minute and when the test
  // clock moves (poke()).
  void sweep();
  void poke();
  void start_sweeper();

 private:
  void check_role(const std::string& role) const;
  const Apartment& apartment_of(const Registry& registry, const std::string& building_id,
                                const std::string& apartment) const;
  void note_failure(const std::string& user_id);
  void check_not_limited(const std::string& user_id);
  void send_notice(const std::string& user_id, const std::string& text);

  const Config& config_;
  RegistryStore& registry_;
  VerificationStore& store_;
  Provisioner& provisioner_;
  RoomService& rooms_;

  std::mutex failures_mutex_;
  std::unordered_map<std::string, std::deque<std::int64_t>> failures_;  // user -> failure times

  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace domovoy::housing
