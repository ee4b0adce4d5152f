// /_domovoy/admin/v1: making admins, and the test clock of `domovoy serve --test-clock`.
#include "homeserver/admin/server_admin.hpp"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <sstream>

#include "homeserver/admin/admin_auth.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/core/time_format.hpp"

namespace domovoy {

using boost::beast::http::verb;

bool is_server_admin(const ClientServices& services, const std::string& user_id) {
  if (std::find(services.config.admins.begin(), services.config.admins.end(), user_id) != services.config.admins.end())
    return true;
  auto account = services.accounts.find(user_id);
  return account && account->admin;
}

void register_server_admin_routes(http::Router& router, ClientServices& services) {
  router.add(verb::get, "/_domovoy/admin/v1/test/clock", http::Auth::optional, [&services](http::Request& request) {
    // The housing appservice reads it too: its reminders and deadlines follow the server's time.
    if (request.appservice_id.empty() || request.appservice_id != services.config.housing.appservice_id)
      require_admin(services, request);
    if (!test_clock::enabled()) throw ApiError(404, "M_UNRECOGNIZED", "The test clock is off (domovoy serve --test-clock)");
    return http::Response::json(json::object{{"now", format_iso8601(now_ms())}, {"now_ms", now_ms()}});
  });
  router.add(verb::put, "/_domovoy/admin/v1/test/clock", http::Auth::optional, [&services](http::Request& request) {
    require_admin(services, request);
    if (!test_clock::enabled()) throw ApiError(404, "M_UNRECOGNIZED", "The test clock is off (domovoy serve --test-clock)");
    auto body = request.json_body();
    auto text = required_string(body, "now");
    auto parsed = parse_iso8601(text);
    if (!parsed) throw invalid_param("now must be an ISO 8601 time such as 2026-12-20T10:00:00Z");
    test_clock::set(*parsed);
    return http::Response::json(json::object{{"now", format_iso8601(now_ms())}, {"now_ms", now_ms()}});
  });

  // Sets or clears a user's admin flag (`domovoy admin make-admin USER`).
  router.add(verb::put, "/_domovoy/admin/v1/users/{userId}/admin", http::Auth::optional,
             [&services](http::Request& request) {
               require_admin(services, request);
               const auto& user_id = request.path_params[0];
               if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user id");
               auto body = request.json_body();
               bool admin = optional_bool(body, "admin").value_or(true);
               auto updated = services.accounts.update(user_id, [admin](Account& account) { account.admin = admin; });
               if (!updated) throw not_found("Unknown user " + user_id);
               return http::Response::json(json::object{{"user_id", user_id}, {"admin", admin}});
             });
  router.add(verb::get, "/_domovoy/admin/v1/users/{userId}", http::Auth::optional, [&services](http::Request& request) {
    require_admin(services, request);
    const auto& user_id = request.path_params[0];
    auto account = services.accounts.find(user_id);
    if (!account) throw not_found("Unknown user " + user_id);
    return http::Response::json(json::object{{"user_id", user_id},
                                             {"admin", is_server_admin(services, user_id)},
                                             {"deactivated", account->deactivated},
                                             {"displayname", account->displayname}});
  });
}

}  // namespace domovoy
