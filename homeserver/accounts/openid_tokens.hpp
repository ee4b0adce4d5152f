#pragma once
// OpenID tokens (client-server-api "OpenID", openid.yaml): a user asks for one and hands it to a
// widget or an integration, which asks this server's federation userinfo endpoint whose it is.
// Only the token's sha256 is stored, with its expiry; a token answers for an hour.
#include <cstdint>
#include <optional>
#include <string>

#include "storage/database.hpp"

namespace domovoy {

class OpenIdTokens {
 public:
  static constexpr std::int64_t kLifetimeMs = 3600 * 1000;

  explicit OpenIdTokens(storage::Database& database) : database_(database) {}

  // A fresh token for the user, valid until now + kLifetimeMs.
  std::string issue(const std::string& user_id, std::int64_t now_ms);
  // The user the token was issued to, while it is valid.
  std::optional<std::string> user_of(const std::string& token, std::int64_t now_ms) const;

 private:
  storage::Database& database_;
};

}  // namespace domovoy
