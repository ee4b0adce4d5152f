#pragma once
// Residents' verifications and what leads to them (the one owner of codehash_code,
// userverification_verification, buildingresident_flag, expiry_verification,
// verificationrequest_request and housing_pending). Every change of who lives where is one
// batch together with a pending marker for the user, and the marker is cleared only once the
// user's room memberships follow it, so a crash in between is finished at the next start.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace domovoy {
namespace storage {
class Database;
class WriteBatch;
}  // namespace storage
}  // namespace domovoy

namespace domovoy::housing {

struct Verification {
  std::string user_id;
  std::string building_id;
  std::string apartment;
  std::string role;    // owner | tenant
  std::string method;  // code | chair | operator
  std::int64_t verified_at = 0;
  std::int64_t expires_at = 0;
  std::vector<unsigned> reminded;  // days-before of the reminders already sent
};

struct CodeRecord {
  std::string building_id;
  std::string apartment;
  std::string role;
  std::int64_t expires_at = 0;
  std::string used_by;  // empty while unused
};

struct VerificationRequest {
  std::string id;
  std::string user_id;
  std::string building_id;
  std::string apartment;
  std::string role;
  std::string status;  // pending | approved | refused
  std::int64_t created_at = 0;
  std::string decided_by;
};

class VerificationStore {
 public:
  explicit VerificationStore(storage::Database& database) : database_(database) {}

  // Codes are kept as their hash (hash_verification_code): the printed code is never stored.
  void add_codes(const std::vector<std::pair<std::string, CodeRecord>>& hashed_codes);
  enum class Outcome { verified, unknown, used, expired };
  struct Redemption {
    Outcome outcome = Outcome::unknown;
    CodeRecord code;
    Verification verification;
  };
  // Marks the code used by `user_id` and records the verification, atomically: of two
  // redemptions at once exactly one sees `verified`, the other `used`.
  Redemption redeem(const std::string& code_hash, const std::string& user_id, std::int64_t now, std::int64_t valid_ms);

  // Records (or renews) a verification; the user's memberships are then pending.
  Verification verify(Verification verification);
  // Removes the user's verifications for the building (one apartment, or all when empty);
  // returns those removed.
  std::vector<Verification> revoke(const std::string& user_id, const std::string& building_id,
                                   const std::string& apartment = {});
  std::vector<Verification> of_user(const std::string& user_id) const;
  std::vector<Verification> of_building(const std::string& building_id) const;
  // Verifications whose expires_at <= until, soonest first, at most `limit`.
  std::vector<Verification> expiring(std::int64_t until, std::size_t limit) const;
  void mark_reminded(const Verification& verification, unsigned days_before);

  void add_request(const VerificationRequest& request);
  std::optional<VerificationRequest> request(const std::string& id) const;
  std::vector<VerificationRequest> requests_of_building(const std::string& building_id) const;
  void decide_request(const VerificationRequest& request);

  // Work that must follow a change: "user" (memberships) or "building" (provisioning).
  static void stage_pending(storage::WriteBatch& batch, const std::string& kind, const std::string& id);
  void clear_pending(const std::string& kind, const std::string& id);
  std::vector<std::pair<std::string, std::string>> pending() const;

 private:
  void stage_verification(storage::WriteBatch& batch, const Verification& verification) const;
  void stage_removal(storage::WriteBatch& batch, const Verification& verification) const;
  std::optional<Verification> find(const std::string& user_id, const std::string& building_id,
                                   const std::string& apartment) const;

  storage::Database& database_;
  std::mutex mutex_;  // read-then-write of codes and verifications
};

}  // namespace domovoy::housing
