// Registration, login, logout, whoami, password change and deactivation, and the shared-secret
// registration that operators' tools use (Synapse's /_synapse/admin/v1/register).
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "homeserver/appservice/appservice_auth.hpp"
#include "homeserver/client/deactivation.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/client/password_auth.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxPasswordBytes = 512;

// Validates a requested localpart and returns the full user id.
std::string checked_new_user_id(ClientServices& services, const std::string& username) {
  std::string localpart = username;
  if (!localpart.empty() && localpart.front() == '@') {
    if (server_name_of(localpart) != services.config.server_name)
      throw ApiError(400, "M_INVALID_USERNAME", "User ID must be on this server");
    localpart = std::string(localpart_of(localpart));
  }
  if (!is_valid_user_localpart(localpart))
    throw ApiError(400, "M_INVALID_USERNAME", "User ID may only contain a-z, 0-9, and .=_-/+");
  auto user_id = services.user_id_for(localpart);
  if (user_id.size() > 255) throw ApiError(400, "M_INVALID_USERNAME", "User ID is too long");
  return user_id;
}

void check_password_length(const std::string& password) {
  if (password.size() > kMaxPasswordBytes) throw ApiError(400, "M_BAD_JSON", "Password too long");
}

json::object login_response(ClientServices& services, const std::string& user_id, const IssuedToken& token) {
  return {{"user_id", user_id},
          {"access_token", token.access_token},
          {"device_id", token.device_id},
          {"home_server", services.config.server_name},
          {"well_known", json::object{{"m.homeserver", json::object{{"base_url", services.config.base_url()}}}}}};
}

std::string hmac_sha1_hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

class NonceBook {
 public:
  std::string issue() {
    std::lock_guard lock(mutex_);
    prune();
    auto nonce = random_token(24);
    nonces_[nonce] = std::chrono::steady_clock::now();
    return nonce;
  }
  bool consume(const std::string& nonce) {
    std::lock_guard lock(mutex_);
    prune();
    return nonces_.erase(nonce) > 0;
  }

 private:
  void prune() {
    auto now = std::chrono::steady_clock::now();
    std::erase_if(nonces_, [&](const auto& entry) { return now - entry.second > std::chrono::seconds(60); });
  }
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> nonces_;
};


using boost::asio::awaitable;

// Every coroutine handler below takes the services and the request by reference: the server
// keeps both alive until the response is sent. The lambdas handed to run_blocking are named
// locals (see http/blocking.hpp).

// A fresh user id for a registration without a username.
std::string generated_user_id(ClientServices& services) {
  std::string user_id;
  do {
    user_id = services.user_id_for("u" + std::to_string(now_ms()) + random_letters(4));
    std::transform(user_id.begin(), user_id.end(), user_id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  } while (services.accounts.exists(user_id));
  return user_id;
}

// type m.login.application_service (application-service-api "Server admin style permissions"):
// a user of the appservice's namespace, no UIA, no password, even with registration closed.
json::object register_appservice_user(ClientServices& services, const http::Request& request, const json::object& body) {
  const auto* registration = appservice::appservice_of_request(services.appservices, request);
  if (!registration) throw ApiError(401, "M_MISSING_TOKEN", "m.login.application_service needs the appservice's as_token");
  auto username = optional_string(body, "username");
  if (!username || username->empty()) throw missing_param("Missing 'username'");
  auto user_id = checked_new_user_id(services, *username);
  if (!services.appservices.user_in_namespace(*registration, user_id))
    throw ApiError(400, "M_EXCLUSIVE", "User ID is not in the appservice's namespace");
  if (!services.accounts.create(user_id, "")) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
  json::object response{{"user_id", user_id}, {"home_server", services.config.server_name}};
  if (!optional_bool(body, "inhibit_login").value_or(false)) {
    auto token = services.accounts.issue_token(user_id, optional_string(body, "device_id"),
                                               optional_string(body, "initial_device_display_name"),
                                               request.remote_address);
    if (!token) throw forbidden("The account was deactivated");
    response["access_token"] = token->access_token;
    response["device_id"] = token->device_id;
  }
  return response;
}

awaitable<http::Response> register_user(ClientServices& services, http::Request& request) {
  auto kind = request.query_param("kind").value_or("user");
  if (kind == "guest") throw ApiError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
  if (kind != "user") throw invalid_param("Unknown kind");
  auto body = request.json_body();
  if (optional_string(body, "type").value_or("") == "m.login.application_service") {
    auto appservice_register = [&] { return register_appservice_user(services, request, body); };
    co_return http::Response::json(co_await http::run_blocking(services.blocking_pool, appservice_register));
  }
  if (!services.config.registration_enabled) throw forbidden("Registration has been disabled");
  auto username = optional_string(body, "username");
  auto password = optional_string(body, "password").value_or("");
  check_password_length(password);
  std::string user_id;
  // The use of a registration token, pending from its UIA stage until the account exists; it is
  // released by its destructor when the registration fails on the way.
  std::optional<RegistrationTokens::Reservation> token_use;
  auto authorise = [&] {
    if (username && !username->empty()) {
      user_id = checked_new_user_id(services, *username);
      if (services.accounts.exists(user_id)) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
      if (services.appservices.exclusive_owner_of_user(user_id))
        throw ApiError(400, "M_EXCLUSIVE", "User ID is reserved by an application service");
    }
    std::vector<UserInteractiveAuth::Flow> flows;
    if (!services.registration_tokens.required()) flows.push_back({"m.login.dummy"});
    else flows.push_back({"m.login.registration_token"});
    services.uia.require(body, flows, "register", [&](const std::string& stage, const json::object& auth) {
      if (stage == "m.login.dummy") return true;
      if (stage == "m.login.registration_token") {
        token_use.reset();
        token_use = services.registration_tokens.reserve(optional_string(auth, "token").value_or(""));
        if (!token_use) throw ApiError(401, "M_FORBIDDEN", "Invalid registration token");
        return true;
      }
      return false;
    });
  };
  co_await http::run_blocking(services.blocking_pool, authorise);
  std::string password_hash;
  if (!password.empty()) password_hash = co_await services.passwords.hash(password);
  auto create = [&] {
    if (user_id.empty()) user_id = generated_user_id(services);
    auto write_account = [&](storage::WriteBatch also) {
      return services.accounts.create(user_id, password_hash, false, std::move(also));
    };
    // The token's completed count is written in the same batch as the account.
    bool created = token_use ? services.registration_tokens.complete(*token_use, write_account) : write_account({});
    if (!created) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
    json::object response{{"user_id", user_id}, {"home_server", services.config.server_name}};
    if (!optional_bool(body, "inhibit_login").value_or(false)) {
      auto token = services.accounts.issue_token(user_id, optional_string(body, "device_id"),
                                                 optional_string(body, "initial_device_display_name"),
                                                 request.remote_address);
      if (!token) throw forbidden("The account was deactivated");
      response["access_token"] = token->access_token;
      response["device_id"] = token->device_id;
    }
    return response;
  };
  auto response = co_await http::run_blocking(services.blocking_pool, create);
  co_return http::Response::json(std::move(response));
}

awaitable<http::Response> login(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  auto type = required_string(body, "type");
  if (type == "m.login.application_service") {
    auto appservice_login = [&]() -> json::object {
      const auto* registration = appservice::appservice_of_request(services.appservices, request);
      if (!registration) throw ApiError(401, "M_MISSING_TOKEN", "m.login.application_service needs the appservice's as_token");
      auto user_id = user_id_from_login(services, body);
      if (!services.appservices.user_in_namespace(*registration, user_id) || !services.accounts.exists(user_id))
        throw forbidden("The user is not a registered user of the appservice's namespace");
      auto token = services.accounts.issue_token(user_id, optional_string(body, "device_id"),
                                                 optional_string(body, "initial_device_display_name"),
                                                 request.remote_address);
      if (!token) throw forbidden("The account was deactivated");
      return login_response(services, user_id, *token);
    };
    co_return http::Response::json(co_await http::run_blocking(services.blocking_pool, appservice_login));
  }
  if (type != "m.login.password") throw ApiError(400, "M_UNKNOWN", "Unknown login type " + type);
  auto user_id = user_id_from_login(services, body);
  auto password = required_string(body, "password");
  check_password_length(password);
  bool matches = co_await password_matches(services, user_id, password);
  if (!matches) throw forbidden("Invalid username or password");
  auto issue = [&] {
    return services.accounts.issue_token(user_id, optional_string(body, "device_id"),
                                         optional_string(body, "initial_device_display_name"), request.remote_address);
  };
  auto token = co_await http::run_blocking(services.blocking_pool, issue);
  // Deactivated between the password check and now.
  if (!token) throw forbidden("Invalid username or password");
  co_return http::Response::json(login_response(services, user_id, *token));
}

awaitable<http::Response> change_password(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  auto new_password = required_string(body, "new_password");
  check_password_length(new_password);
  if (new_password.empty()) throw ApiError(400, "M_WEAK_PASSWORD", "Password must not be empty");
  auto verdict = co_await check_password_stage(services, body, request.user_id);
  auto authorise = [&] {
    services.uia.require(body, {{"m.login.password"}}, "password:" + request.user_id, password_stage(verdict));
  };
  co_await http::run_blocking(services.blocking_pool, authorise);
  auto password_hash = co_await services.passwords.hash(new_password);
  auto change = [&] {
    std::optional<std::string> keep_device;
    if (optional_bool(body, "logout_devices").value_or(true)) keep_device = request.device_id;
    if (!services.accounts.change_password(request.user_id, password_hash, keep_device))
      throw forbidden("The account was deactivated");
  };
  co_await http::run_blocking(services.blocking_pool, change);
  co_return http::Response::json(json::object{});
}

awaitable<http::Response> deactivate(ClientServices& services, http::Request& request) {
  auto body = request.optional_json_body();
  auto verdict = co_await check_password_stage(services, body, request.user_id);
  auto run = [&] {
    services.uia.require(body, {{"m.login.password"}}, "deactivate:" + request.user_id, password_stage(verdict));
    services.accounts.deactivate(request.user_id);
    leave_rooms_of_deactivated(services, request.user_id);
  };
  co_await http::run_blocking(services.blocking_pool, run);
  co_return http::Response::json(json::object{{"id_server_unbind_result", "no-support"}});
}

awaitable<http::Response> shared_secret_register(ClientServices& services, NonceBook& nonces, http::Request& request) {
  const auto& secret = services.config.registration_shared_secret;
  if (secret.empty()) throw ApiError(400, "M_UNKNOWN", "Shared secret registration is not enabled");
  auto body = request.json_body();
  auto nonce = required_string(body, "nonce");
  auto username = required_string(body, "username");
  auto password = required_string(body, "password");
  auto mac = required_string(body, "mac");
  check_password_length(password);
  bool admin = optional_bool(body, "admin").value_or(false);
  auto user_type = optional_string(body, "user_type");
  if (!nonces.consume(nonce)) throw ApiError(400, "M_UNKNOWN", "Unrecognised nonce");
  std::string message = nonce + '\0' + username + '\0' + password + '\0' + (admin ? "admin" : "notadmin");
  if (user_type) message += '\0' + *user_type;
  auto expected = hmac_sha1_hex(secret, message);
  if (expected.size() != mac.size() || CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) != 0)
    throw forbidden("HMAC incorrect");
  auto user_id = checked_new_user_id(services, username);
  auto password_hash = co_await services.passwords.hash(password);
  auto create = [&] {
    if (!services.accounts.create(user_id, password_hash, admin))
      throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
    if (auto displayname = optional_string(body, "displayname"))
      services.accounts.update(user_id, [&](Account& account) { account.displayname = *displayname; });
    auto token = services.accounts.issue_token(user_id, std::nullopt, std::nullopt, request.remote_address);
    if (!token) throw forbidden("The account was deactivated");
    return json::object{{"access_token", token->access_token},
                        {"user_id", user_id},
                        {"home_server", services.config.server_name},
                        {"device_id", token->device_id}};
  };
  auto response = co_await http::run_blocking(services.blocking_pool, create);
  co_return http::Response::json(std::move(response));
}

}  // namespace

void register_account_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::get, "/register/available", http::Auth::none, [&services](http::Request& request) {
    auto username = request.query_param("username");
    if (!username) throw missing_param("Missing 'username'");
    auto user_id = checked_new_user_id(services, *username);
    if (services.accounts.exists(user_id)) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
    return http::Response::json(json::object{{"available", true}});
  }, "login");

  router.add_client_async(verb::post, "/register", http::Auth::none,
                          [&services](http::Request& request) { return register_user(services, request); }, "login");

  router.add(verb::get, "/_matrix/client/v1/register/m.login.registration_token/validity", http::Auth::none,
             [&services](http::Request& request) {
               if (!services.config.registration_enabled) throw forbidden("Registration has been disabled");
               auto token = request.query_param("token");
               if (!token) throw missing_param("Missing 'token'");
               return http::Response::json(json::object{{"valid", services.registration_tokens.valid(*token)}});
             },
             "login");

  router.add_client(verb::get, "/login", http::Auth::none, [](http::Request&) {
    return http::Response::json(json::object{{"flows", json::array{json::object{{"type", "m.login.password"}},
                                                                   json::object{{"type", "m.login.application_service"}}}}});
  });

  router.add_client_async(verb::post, "/login", http::Auth::none,
                          [&services](http::Request& request) { return login(services, request); }, "login");

  router.add_client(verb::post, "/logout", http::Auth::required, [&services](http::Request& request) {
    services.accounts.end_session(request.user_id, request.device_id, request.access_token_hash);
    return http::Response::json(json::object{});
  });

  router.add_client(verb::post, "/logout/all", http::Auth::required, [&services](http::Request& request) {
    services.accounts.end_all_sessions(request.user_id);
    return http::Response::json(json::object{});
  });

  // Third-party identifiers (administrative_contact.yaml): Domovoy verifies residents by address,
  // not by e-mail or phone, so a user has none and adding one is off (m.3pid_changes false).
  router.add_client(verb::get, "/account/3pid", http::Auth::required, [](http::Request&) {
    return http::Response::json(json::object{{"threepids", json::array{}}});
  });
  for (auto suffix : {"/account/3pid/add", "/account/3pid/bind", "/account/3pid/email/requestToken",
                      "/account/3pid/msisdn/requestToken"}) {
    router.add_client(verb::post, suffix, http::Auth::optional, [](http::Request&) -> http::Response {
      throw ApiError(403, "M_FORBIDDEN", "Third-party identifiers are not used on this server");
    });
  }
  router.add_client(verb::get, "/account/whoami", http::Auth::required, [](http::Request& request) {
    return http::Response::json(
        json::object{{"user_id", request.user_id}, {"device_id", request.device_id}, {"is_guest", false}});
  });

  router.add_client_async(verb::post, "/account/password", http::Auth::required,
                          [&services](http::Request& request) { return change_password(services, request); });

  router.add_client_async(verb::post, "/account/deactivate", http::Auth::required,
                          [&services](http::Request& request) { return deactivate(services, request); });

  auto nonces = std::make_shared<NonceBook>();
  router.add(verb::get, "/_synapse/admin/v1/register", http::Auth::none, [&services, nonces](http::Request&) {
    if (services.config.registration_shared_secret.empty())
      throw ApiError(400, "M_UNKNOWN", "Shared secret registration is not enabled");
    return http::Response::json(json::object{{"nonce", nonces->issue()}});
  });
  router.add_async(verb::post, "/_synapse/admin/v1/register", http::Auth::none, [&services, nonces](http::Request& request) {
    return shared_secret_register(services, *nonces, request);
  });
}

}  // namespace domovoy
