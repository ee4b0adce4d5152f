#include "federation/e2ee_api.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "homeserver/client/key_queries.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"

namespace domovoy::federation {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kMaxUsersPerRequest = 1000;

// The part of a body for this server's own users: another server asks about ours only.
json::object local_part(ClientServices& services, const json::object& body, std::string_view field,
                        bool values_are_arrays) {
  const auto* wanted = body.if_contains(field);
  if (!wanted || !wanted->is_object()) throw bad_json(std::string(field) + " must be an object");
  if (wanted->as_object().size() > kMaxUsersPerRequest) throw invalid_param("Too many users in one request");
  json::object local;
  for (const auto& [user, value] : wanted->as_object()) {
    if (values_are_arrays ? !value.is_array() : !value.is_object())
      throw bad_json(std::string(field) + " has a malformed entry for " + std::string(user));
    if (services.is_local_user(user)) local[user] = value;
  }
  return local;
}

// Device keys as other servers get them: no display names.
void strip_display_names(json::object& devices_by_user) {
  for (auto& [user, devices] : devices_by_user)
    if (devices.is_object())
      for (auto& [device, keys] : devices.as_object())
        if (keys.is_object()) keys.as_object().erase("unsigned");
}

}  // namespace

void register_e2ee_routes(http::Router& router, RequestAuthenticator& authenticator,
                          boost::asio::thread_pool& blocking_pool, ClientServices& services) {
  add_federation_route(router, authenticator, blocking_pool, verb::post, "/_matrix/federation/v1/user/keys/query",
                       [&services](http::Request& request) {
                         auto wanted = local_part(services, request.json_body(), "device_keys", true);
                         auto answer = query_local_keys(services, wanted, request.origin);
                         answer.erase("user_signing_keys");  // the owner's own, never another server's
                         strip_display_names(answer["device_keys"].as_object());
                         return http::Response::json(std::move(answer));
                       });
  add_federation_route(router, authenticator, blocking_pool, verb::post, "/_matrix/federation/v1/user/keys/claim",
                       [&services](http::Request& request) {
                         auto wanted = local_part(services, request.json_body(), "one_time_keys", false);
                         return http::Response::json(claim_local_keys(services, wanted));
                       });
  add_federation_route(
      router, authenticator, blocking_pool, verb::get, "/_matrix/federation/v1/user/devices/{userId}",
      [&services](http::Request& request) {
        const auto& user_id = request.path_params.at(0);
        if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user id");
        if (!services.is_local_user(user_id)) throw invalid_param("The user is not on this server");
        auto account = services.accounts.find(user_id);
        if (!account || account->deactivated) throw not_found("Unknown user");
        auto keys = query_local_keys(services, json::object{{user_id, json::array{}}}, request.origin);
        json::array devices;
        const auto& by_device = keys["device_keys"].as_object()[user_id].as_object();
        for (const auto& device : services.accounts.devices(user_id)) {
          json::object entry{{"device_id", device.device_id}};
          if (const auto* device_keys = by_device.if_contains(device.device_id)) {
            auto stripped = device_keys->as_object();
            stripped.erase("unsigned");
            entry["keys"] = std::move(stripped);
          }
          devices.push_back(std::move(entry));
        }
        json::object answer{{"user_id", user_id},
                            {"stream_id", static_cast<std::int64_t>(services.device_keys.latest_change())},
                            {"devices", std::move(devices)}};
        if (const auto* master = keys["master_keys"].as_object().if_contains(user_id)) answer["master_key"] = *master;
        if (const auto* self_signing = keys["self_signing_keys"].as_object().if_contains(user_id))
          answer["self_signing_key"] = *self_signing;
        return http::Response::json(std::move(answer));
      });
}

boost::asio::awaitable<json::object> ask_for_keys(FederationClient& client, std::string destination, std::string what,
                                                  json::object body) {
  FederationRequest request;
  request.method = verb::post;
  request.destination = destination;
  request.uri = "/_matrix/federation/v1/user/keys/" + what;
  request.body = std::move(body);
  request.timeout = std::chrono::milliseconds(10000);
  auto response = co_await client.request(request);
  using Failure = FederationResponse::Failure;
  if (response.failure == Failure::not_allowed) throw forbidden(response.message);
  if (!response.ok()) throw ApiError(503, "M_UNKNOWN", "Cannot reach " + destination + ": " + response.message);
  if (!response.success() || !response.body.is_object())
    throw ApiError(502, "M_UNKNOWN", destination + " answered keys/" + what + " with " + std::to_string(response.status));
  co_return response.body.as_object();
}

std::vector<json::object> DeviceListUpdates::edus_for(const std::string& user_id,
                                                      const std::vector<std::string>& device_ids, bool deleted,
                                                      std::uint64_t stream) {
  std::vector<json::object> edus;
  auto keys = query_local_keys(services_, json::object{{user_id, json::array{}}}, user_id);
  if (device_ids.empty()) {
    json::object content{{"user_id", user_id}};
    if (const auto* master = keys["master_keys"].as_object().if_contains(user_id)) content["master_key"] = *master;
    if (const auto* self_signing = keys["self_signing_keys"].as_object().if_contains(user_id))
      content["self_signing_key"] = *self_signing;
    edus.push_back(json::object{{"edu_type", "m.signing_key_update"}, {"content", std::move(content)}});
  }
  // Each device's update is its own link of the chain; a cross-signing change also re-sends
  // the devices, whose signatures it may have changed.
  std::vector<std::string> devices = device_ids;
  if (devices.empty())
    for (const auto& device : services_.accounts.devices(user_id)) devices.push_back(device.device_id);
  const auto& by_device = keys["device_keys"].as_object()[user_id].as_object();
  std::lock_guard lock(mutex_);
  auto& last = last_stream_[user_id];
  std::int64_t id = static_cast<std::int64_t>(stream) * 1000;  // room for several devices in one change
  for (const auto& device_id : devices) {
    json::object content{{"user_id", user_id}, {"device_id", device_id}, {"stream_id", id}};
    content["prev_id"] = last == 0 ? json::array{} : json::array{static_cast<std::int64_t>(last)};
    if (deleted) {
      content["deleted"] = true;
    } else if (const auto* device_keys = by_device.if_contains(device_id)) {
      auto stripped = device_keys->as_object();
      stripped.erase("unsigned");
      content["keys"] = std::move(stripped);
    }
    last = static_cast<std::uint64_t>(id++);
    edus.push_back(json::object{{"edu_type", "m.device_list_update"}, {"content", std::move(content)}});
  }
  return edus;
}

}  // namespace domovoy::federation
