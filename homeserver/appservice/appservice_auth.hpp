#pragma once
// An appservice's as_token on the client API (application-service-api "Identity assertion"):
// the request acts as the registration's sender, or as the user named by ?user_id= when that
// user is in its namespace and registered, on the device named by ?device_id= (MSC4326, also
// org.matrix.msc3202.device_id) when that device is the user's.
#include <optional>
#include <string>

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/appservice/namespaces.hpp"
#include "homeserver/http/request.hpp"
#include "homeserver/http/server.hpp"

namespace domovoy::appservice {

// nullopt when the token is no appservice's. Throws ApiError 403 M_FORBIDDEN for a user outside
// the namespace or not registered, 400 M_UNKNOWN_DEVICE for a device the user does not have.
std::optional<http::Session> appservice_session(const AppserviceRegistry& registry, const AccountStore& accounts,
                                                const std::string& token, const http::Request& request);

// The registration whose as_token the request carries in its Authorization header (for the
// endpoints that take no access token otherwise: register, login), or null.
const Registration* appservice_of_request(const AppserviceRegistry& registry, const http::Request& request);

}  // namespace domovoy::appservice
