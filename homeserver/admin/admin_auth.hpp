#pragma once
// Who may call the operators' API (/_domovoy/admin/v1): a user whose account has the admin
// flag (by access token), or the operator's own tools holding the config's
// registration.shared_secret, which sign each request instead of sending the secret:
//   Authorization: DomovoyOperator ts=<unix ms>,mac=<hex HMAC-SHA256(secret, ts "\n" METHOD "\n" path?query "\n" hex sha256(body))>
// accepted within 5 minutes of the server's clock. `domovoy admin` signs this way.
#include <cstdint>
#include <string>

#include "homeserver/client/services.hpp"
#include "homeserver/http/request.hpp"

namespace domovoy {

struct AdminCaller {
  std::string user_id;  // empty for the operator's signed request
  bool is_operator() const { return user_id.empty(); }
};

// Throws 401 M_MISSING_TOKEN without credentials, 401 M_UNKNOWN_TOKEN for a bad operator
// signature and 403 M_FORBIDDEN for a user who is not an admin. Routes using it are added
// with http::Auth::optional, so that a signed request reaches it without an access token.
AdminCaller require_admin(const ClientServices& services, const http::Request& request);

// The Authorization value `domovoy admin` sends for a request (also used by tests).
std::string operator_authorization(const std::string& secret, std::int64_t ts_ms, const std::string& method,
                                   const std::string& target, const std::string& body);

}  // namespace domovoy

namespace domovoy {
// registration.shared_secret when configured, otherwise DATA_DIR/operator.secret (made on first
// start, mode 0600), which `domovoy admin --data-dir DIR` reads on the same machine.
std::string load_or_create_operator_secret(const Config& config);
}  // namespace domovoy
