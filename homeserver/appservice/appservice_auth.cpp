#include "homeserver/appservice/appservice_auth.hpp"

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy::appservice {

std::optional<http::Session> appservice_session(const AppserviceRegistry& registry, const AccountStore& accounts,
                                                const std::string& token, const http::Request& request) {
  const auto* registration = registry.find_by_as_token(token);
  if (!registration) return std::nullopt;
  std::string user_id = registry.sender_user_id(*registration);
  if (auto asserted = request.query_param("user_id")) {
    if (!is_valid_user_id(*asserted)) throw invalid_param("user_id is not a user id");
    if (!registry.user_in_namespace(*registration, *asserted))
      throw forbidden("Application service cannot masquerade as this user (" + *asserted + ")");
    user_id = *asserted;
  }
  if (user_id != registry.sender_user_id(*registration) && !accounts.exists(user_id))
    throw forbidden("Application service has not registered this user (" + user_id + ")");
  std::string device_id;
  auto asserted_device = request.query_param("device_id");
  if (!asserted_device) asserted_device = request.query_param("org.matrix.msc3202.device_id");
  if (asserted_device) {
    if (!accounts.device(user_id, *asserted_device))
      throw ApiError(400, "M_UNKNOWN_DEVICE", "No device " + *asserted_device + " of " + user_id);
    device_id = *asserted_device;
  }
  // The token hash names no session: logout with an as_token has nothing to end.
  return http::Session{user_id, device_id, {}, registration->id, registration->rate_limited};
}

const Registration* appservice_of_request(const AppserviceRegistry& registry, const http::Request& request) {
  auto authorization = request.header("authorization");
  std::string token;
  if (authorization.rfind("Bearer ", 0) == 0) token = authorization.substr(7);
  else if (auto query_token = request.query_param("access_token")) token = *query_token;
  if (token.empty()) return nullptr;
  return registry.find_by_as_token(token);
}

}  // namespace domovoy::appservice
