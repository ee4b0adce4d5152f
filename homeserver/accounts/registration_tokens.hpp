#pragma once
// Registration tokens (client-server API "Token-authenticated registration"; the fields are those
// of Synapse's admin API): a token is valid while it has not expired and pending + completed
// registrations stay below uses_allowed. `completed` is kept in registrationtoken_uses and is
// written in the same batch as the account it was used for; `pending` (registrations that passed
// the token stage and are still being completed) lives in memory, since it ends with the request.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/core/config.hpp"
#include "storage/database.hpp"

namespace domovoy {

struct RegistrationTokenInfo {
  std::string token;
  std::optional<std::int64_t> uses_allowed;
  std::int64_t pending = 0;
  std::int64_t completed = 0;
  std::optional<std::int64_t> expiry_time;
};

class RegistrationTokens {
 public:
  using Clock = std::function<std::int64_t()>;  // ms since the epoch
  RegistrationTokens(storage::Database& database, std::vector<RegistrationTokenConfig> tokens, Clock now);

  // Registration needs a token when any is configured.
  bool required() const { return !tokens_.empty(); }
  bool valid(const std::string& token) const;
  std::optional<RegistrationTokenInfo> describe(const std::string& token) const;

  // One use of a token held for a registration in progress: it counts as pending until it is
  // completed or dropped (the registration failed).
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept : owner_(other.owner_), index_(other.index_) { other.owner_ = nullptr; }
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation() { release(); }

   private:
    friend class RegistrationTokens;
    Reservation(RegistrationTokens* owner, std::size_t index) : owner_(owner), index_(index) {}
    void release() noexcept;
    RegistrationTokens* owner_;
    std::size_t index_;
  };
  // A reservation when the token is valid now (checked and counted in one step, so two
  // registrations cannot both take a token's last use); nullopt otherwise.
  std::optional<Reservation> reserve(const std::string& token);
  // Turns the reservation into a completed use. `write_with_account` must write the batch it is
  // given atomically with the new account and return whether it did (false: the name was taken,
  // and the use is not counted). Registrations with tokens are serialised by this.
  bool complete(Reservation& reservation, const std::function<bool(storage::WriteBatch)>& write_with_account);

 private:
  struct Token {
    RegistrationTokenConfig config;
    std::string digest;  // sha256 of the token: what a candidate is compared with
    std::int64_t pending = 0;
    std::int64_t completed = 0;
  };
  // The index of the token equal to `candidate`, compared in constant time against every token.
  std::optional<std::size_t> find(const std::string& candidate) const;
  bool usable(const Token& token) const;

  storage::Database& database_;
  Clock now_;
  std::vector<Token> tokens_;
  mutable std::mutex mutex_;  // guards pending and completed
};

}  // namespace domovoy
