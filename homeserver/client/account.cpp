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

#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/random.hpp"

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

// The user id a login identifier names, lower-casing the localpart as Synapse does.
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

// The m.login.password stage for an already-authenticated user.
UserInteractiveAuth::StageChecker password_stage(ClientServices& services, const std::string& user_id) {
  return [&services, user_id](const std::string& stage, const json::object& auth) {
    if (stage != "m.login.password") return false;
    auto claimed = user_id_from_login(services, auth);
    auto password = required_string(auth, "password");
    auto account = services.accounts.find(user_id);
    if (claimed != user_id || !account || !services.accounts.check_password(*account, password))
      throw forbidden("Invalid password");
    return true;
  };
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

// Leaves every room a deactivated user is in, as the spec asks.
void leave_all_rooms(ClientServices& services, const std::string& user_id) {
  for (const auto& record : services.rooms.rooms_of_user(user_id)) {
    if (record.membership != "join" && record.membership != "invite" && record.membership != "knock") continue;
    try {
      services.rooms.send(record.room_id, EventDraft{"m.room.member", user_id, user_id,
                                                     json::object{{"membership", "leave"}}, {}, {}});
    } catch (const ApiError&) {
      // Already gone or not permitted: nothing more to do for this room.
    }
  }
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

  router.add_client(verb::post, "/register", http::Auth::none, [&services](http::Request& request) {
    auto kind = request.query_param("kind").value_or("user");
    if (kind == "guest") throw ApiError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
    if (kind != "user") throw invalid_param("Unknown kind");
    auto body = request.json_body();
    if (!services.config.registration_enabled) throw forbidden("Registration has been disabled");
    auto username = optional_string(body, "username");
    auto password = optional_string(body, "password").value_or("");
    check_password_length(password);
    std::string user_id;
    if (username && !username->empty()) {
      user_id = checked_new_user_id(services, *username);
      if (services.accounts.exists(user_id)) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
    }
    std::vector<UserInteractiveAuth::Flow> flows;
    if (services.config.registration_tokens.empty()) flows.push_back({"m.login.dummy"});
    else flows.push_back({"m.login.registration_token"});
    services.uia.require(body, flows, "register", [&services](const std::string& stage, const json::object& auth) {
      if (stage == "m.login.dummy") return true;
      if (stage == "m.login.registration_token") {
        auto token = optional_string(auth, "token").value_or("");
        const auto& tokens = services.config.registration_tokens;
        if (std::find(tokens.begin(), tokens.end(), token) == tokens.end())
          throw ApiError(401, "M_FORBIDDEN", "Invalid registration token");
        return true;
      }
      return false;
    });
    if (user_id.empty()) {
      do {
        user_id = services.user_id_for("u" + std::to_string(now_ms()) + random_letters(4));
        std::transform(user_id.begin(), user_id.end(), user_id.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      } while (services.accounts.exists(user_id));
    }
    if (!services.accounts.create(user_id, password)) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
    json::object response{{"user_id", user_id}, {"home_server", services.config.server_name}};
    if (!optional_bool(body, "inhibit_login").value_or(false)) {
      auto token = services.accounts.issue_token(user_id, optional_string(body, "device_id"),
                                                 optional_string(body, "initial_device_display_name"),
                                                 request.remote_address);
      response["access_token"] = token.access_token;
      response["device_id"] = token.device_id;
    }
    return http::Response::json(std::move(response));
  }, "login");

  router.add(verb::get, "/_matrix/client/v1/register/m.login.registration_token/validity", http::Auth::none,
             [&services](http::Request& request) {
               if (!services.config.registration_enabled) throw forbidden("Registration has been disabled");
               auto token = request.query_param("token");
               if (!token) throw missing_param("Missing 'token'");
               const auto& tokens = services.config.registration_tokens;
               bool valid = std::find(tokens.begin(), tokens.end(), *token) != tokens.end();
               return http::Response::json(json::object{{"valid", valid}});
             },
             "login");

  router.add_client(verb::get, "/login", http::Auth::none, [](http::Request&) {
    return http::Response::json(json::object{{"flows", json::array{json::object{{"type", "m.login.password"}}}}});
  });

  router.add_client(verb::post, "/login", http::Auth::none, [&services](http::Request& request) {
    auto body = request.json_body();
    auto type = required_string(body, "type");
    if (type != "m.login.password") throw ApiError(400, "M_UNKNOWN", "Unknown login type " + type);
    auto user_id = user_id_from_login(services, body);
    auto password = required_string(body, "password");
    check_password_length(password);
    auto account = services.accounts.find(user_id);
    if (!account || !services.accounts.check_password(*account, password))
      throw forbidden("Invalid username or password");
    auto token = services.accounts.issue_token(user_id, optional_string(body, "device_id"),
                                               optional_string(body, "initial_device_display_name"),
                                               request.remote_address);
    return http::Response::json(login_response(services, user_id, token));
  }, "login");

  router.add_client(verb::post, "/logout", http::Auth::required, [&services](http::Request& request) {
    services.accounts.delete_device(request.user_id, request.device_id);
    services.accounts.revoke_token_hash(request.access_token_hash);
    return http::Response::json(json::object{});
  });

  router.add_client(verb::post, "/logout/all", http::Auth::required, [&services](http::Request& request) {
    services.accounts.delete_devices_except(request.user_id, "");
    services.accounts.revoke_token_hash(request.access_token_hash);
    return http::Response::json(json::object{});
  });

  router.add_client(verb::get, "/account/whoami", http::Auth::required, [](http::Request& request) {
    return http::Response::json(
        json::object{{"user_id", request.user_id}, {"device_id", request.device_id}, {"is_guest", false}});
  });

  router.add_client(verb::post, "/account/password", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    auto new_password = required_string(body, "new_password");
    check_password_length(new_password);
    if (new_password.empty()) throw ApiError(400, "M_WEAK_PASSWORD", "Password must not be empty");
    services.uia.require(body, {{"m.login.password"}}, "password:" + request.user_id,
                         password_stage(services, request.user_id));
    services.accounts.set_password(request.user_id, new_password);
    if (optional_bool(body, "logout_devices").value_or(true))
      services.accounts.delete_devices_except(request.user_id, request.device_id);
    return http::Response::json(json::object{});
  });

  router.add_client(verb::post, "/account/deactivate", http::Auth::required, [&services](http::Request& request) {
    auto body = request.optional_json_body();
    services.uia.require(body, {{"m.login.password"}}, "deactivate:" + request.user_id,
                         password_stage(services, request.user_id));
    services.accounts.update(request.user_id, [](Account& account) {
      account.deactivated = true;
      account.password_hash.clear();
    });
    services.accounts.delete_devices_except(request.user_id, "");
    leave_all_rooms(services, request.user_id);
    return http::Response::json(json::object{{"id_server_unbind_result", "no-support"}});
  });

  auto nonces = std::make_shared<NonceBook>();
  router.add(verb::get, "/_synapse/admin/v1/register", http::Auth::none, [&services, nonces](http::Request&) {
    if (services.config.registration_shared_secret.empty())
      throw ApiError(400, "M_UNKNOWN", "Shared secret registration is not enabled");
    return http::Response::json(json::object{{"nonce", nonces->issue()}});
  });
  router.add(verb::post, "/_synapse/admin/v1/register", http::Auth::none, [&services, nonces](http::Request& request) {
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
    if (!nonces->consume(nonce)) throw ApiError(400, "M_UNKNOWN", "Unrecognised nonce");
    std::string message = nonce + '\0' + username + '\0' + password + '\0' + (admin ? "admin" : "notadmin");
    if (user_type) message += '\0' + *user_type;
    auto expected = hmac_sha1_hex(secret, message);
    if (expected.size() != mac.size() || CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) != 0)
      throw forbidden("HMAC incorrect");
    auto user_id = checked_new_user_id(services, username);
    if (!services.accounts.create(user_id, password, admin)) throw ApiError(400, "M_USER_IN_USE", "User ID already taken");
    if (auto displayname = optional_string(body, "displayname"))
      services.accounts.update(user_id, [&](Account& account) { account.displayname = *displayname; });
    auto token = services.accounts.issue_token(user_id, std::nullopt, std::nullopt, request.remote_address);
    return http::Response::json(json::object{{"access_token", token.access_token},
                                             {"user_id", user_id},
                                             {"home_server", services.config.server_name},
                                             {"device_id", token.device_id}});
  });
}

}  // namespace domovoy
