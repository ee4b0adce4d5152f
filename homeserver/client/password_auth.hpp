#pragma once
// Password checks of request handlers, shared by /login and every UIA m.login.password stage:
// the account's failed-attempt limit first (429 M_LIMIT_EXCEEDED), then argon2 on the password
// hasher's own pool, so that a flood of guesses waits there and not on the blocking pool.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <string>

#include "homeserver/client/services.hpp"
#include "homeserver/client/user_interactive_auth.hpp"

namespace domovoy {

// The user id a login identifier (`identifier` m.id.user, or the legacy `user`) names,
// lower-casing the localpart as Synapse does.
std::string user_id_from_login(ClientServices& services, const boost::json::object& body);

// Whether `password` is the password of `user_id` (false for a missing or deactivated account).
// Throws 429 M_LIMIT_EXCEEDED while the account's failed attempts are being paid off; a wrong
// password counts as one. The references must outlive the await.
boost::asio::awaitable<bool> password_matches(ClientServices& services, const std::string& user_id,
                                              const std::string& password);

// What the m.login.password stage in a UIA request body says, worked out before the handler's
// blocking part runs UIA (argon2 cannot run inside it without holding a blocking thread).
struct PasswordStageVerdict {
  bool attempted = false;  // the body's auth is an m.login.password stage
  bool matches = false;
};
boost::asio::awaitable<PasswordStageVerdict> check_password_stage(ClientServices& services,
                                                                  const boost::json::object& body,
                                                                  const std::string& user_id);
// The UIA stage checker that reports the verdict (403 M_FORBIDDEN inside the UIA 401 when wrong).
UserInteractiveAuth::StageChecker password_stage(const PasswordStageVerdict& verdict);

}  // namespace domovoy
