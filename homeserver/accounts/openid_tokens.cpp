#include "homeserver/accounts/openid_tokens.hpp"

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy {

std::string OpenIdTokens::issue(const std::string& user_id, std::int64_t now_ms) {
  auto token = random_token(32);
  storage::WriteBatch batch;
  batch.put(storage::Table::openidtoken_user, AccountStore::hash_token(token),
            to_json(json::object{{"user_id", user_id}, {"expires_ts", now_ms + kLifetimeMs}}));
  database_.write(std::move(batch));
  return token;
}

std::optional<std::string> OpenIdTokens::user_of(const std::string& token, std::int64_t now_ms) const {
  auto stored = database_.get(storage::Table::openidtoken_user, AccountStore::hash_token(token));
  if (!stored) return std::nullopt;
  auto object = parse_stored_json(*stored).as_object();
  if (object["expires_ts"].to_number<std::int64_t>() <= now_ms) return std::nullopt;
  return std::string(object["user_id"].as_string());
}

}  // namespace domovoy
