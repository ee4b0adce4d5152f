#include "homeserver/client/password_auth.hpp"

#include <algorithm>
#include <cctype>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

std::string user_id_from_login(ClientServices& services, const json::object& body) {
  std::string user;
  if (const auto* identifier = optional_object(body, "identifier")) {
    auto type = required_string(*identifier, "type");
    if (type != "m.id.user") throw ApiError(400, "M_UNKNOWN", "Only m.id.user identifiers are supported");
    user = required_string(*identifier, "user");
  } else if (auto legacy = optional_string(body, "user")) {
    user = *legacy;
  } else {
    throw missing_param("Missing 'identifier'");
  }
  if (user.empty()) throw invalid_param("Empty user identifier");
  if (user.front() != '@') user = services.user_id_for(user);
  auto colon = user.find(':');
  if (colon != std::string::npos)
    std::transform(user.begin(), user.begin() + static_cast<std::ptrdiff_t>(colon), user.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return user;
}

boost::asio::awaitable<bool> password_matches(ClientServices& services, const std::string& user_id,
                                              const std::string& password) {
  // Checked before the password, so that during the window a right guess looks like a wrong one.
  if (auto wait = services.failed_logins.wait_ms(user_id); wait > 0)
    throw ApiError(429, "M_LIMIT_EXCEEDED", "Too many failed password attempts for this account",
                   json::object{{"retry_after_ms", wait}});
  auto read_hash = [&services, &user_id]() -> std::string {
    auto account = services.accounts.find(user_id);
    return account && !account->deactivated ? account->password_hash : std::string{};
  };
  auto password_hash = co_await http::run_blocking(services.blocking_pool, read_hash);
  bool matches = co_await services.passwords.verify(password_hash, password);
  // Unknown users count too (as in Synapse): the answer must not tell which names exist.
  if (!matches) services.failed_logins.record_failure(user_id);
  co_return matches;
}

boost::asio::awaitable<PasswordStageVerdict> check_password_stage(ClientServices& services, const json::object& body,
                                                                  const std::string& user_id) {
  PasswordStageVerdict verdict;
  const auto* auth = optional_object(body, "auth");
  if (!auth || optional_string(*auth, "type").value_or("") != "m.login.password") co_return verdict;
  verdict.attempted = true;
  auto password = required_string(*auth, "password");
  // The identifier may be left out (the request's token already names the user); when given it
  // must be the user.
  if (auth->contains("identifier") || auth->contains("user")) {
    if (user_id_from_login(services, *auth) != user_id) co_return verdict;
  }
  verdict.matches = co_await password_matches(services, user_id, password);
  co_return verdict;
}

UserInteractiveAuth::StageChecker password_stage(const PasswordStageVerdict& verdict) {
  return [verdict](const std::string& stage, const json::object&) {
    if (stage != "m.login.password" || !verdict.attempted) return false;
    if (!verdict.matches) throw forbidden("Invalid password");
    return true;
  };
}

}  // namespace domovoy
