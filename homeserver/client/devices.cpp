// Device management (modules/device_management.md). Deleting devices needs UIA with a password.
#include "homeserver/client/password_auth.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
json::object device_json(const Device& device) {
  json::object out{{"device_id", device.device_id}};
  out["display_name"] = device.display_name.empty() ? json::value(nullptr) : json::value(device.display_name);
  if (device.last_seen_ts) out["last_seen_ts"] = device.last_seen_ts;
  if (!device.last_seen_ip.empty()) out["last_seen_ip"] = device.last_seen_ip;
  return out;
}

// Deletes `device_ids` once the UIA password stage passes. The password is verified first, on
// the password hasher's pool; the UIA and the deletion then run on the blocking pool. The
// services and the request outlive the coroutine (the server keeps them until it answers).
boost::asio::awaitable<http::Response> delete_with_password(ClientServices& services, http::Request& request,
                                                            const std::vector<std::string>& device_ids,
                                                            const std::string& what) {
  auto body = request.optional_json_body();
  auto verdict = co_await check_password_stage(services, body, request.user_id);
  auto run = [&] {
    services.uia.require(body, {{"m.login.password"}}, what + ":" + request.user_id, password_stage(verdict));
    services.accounts.delete_devices(request.user_id, device_ids);
  };
  co_await http::run_blocking(services.blocking_pool, run);
  co_return http::Response::json(json::object{});
}

boost::asio::awaitable<http::Response> delete_device(ClientServices& services, http::Request& request) {
  const auto& device_id = request.path_params[0];
  auto exists = [&] { return services.accounts.device(request.user_id, device_id).has_value(); };
  if (!co_await http::run_blocking(services.blocking_pool, exists)) throw not_found("Unknown device");
  // Named locals, not temporaries, in a co_await expression (see http/blocking.hpp).
  std::vector<std::string> ids{device_id};
  auto what = "delete_device:" + device_id;
  co_return co_await delete_with_password(services, request, ids, what);
}

boost::asio::awaitable<http::Response> delete_devices(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  const auto* devices = body.if_contains("devices");
  if (!devices) throw missing_param("Missing 'devices'");
  if (!devices->is_array()) throw bad_json("'devices' must be an array");
  std::vector<std::string> ids;
  for (const auto& id : devices->as_array()) {
    if (!id.is_string()) throw bad_json("'devices' must hold strings");
    ids.emplace_back(id.as_string());
  }
  std::string what = "delete_devices";
  co_return co_await delete_with_password(services, request, ids, what);
}
}  // namespace

void register_device_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::get, "/devices", http::Auth::required, [&services](http::Request& request) {
    json::array devices;
    for (const auto& device : services.accounts.devices(request.user_id)) devices.push_back(device_json(device));
    return http::Response::json(json::object{{"devices", std::move(devices)}});
  });
  router.add_client(verb::get, "/devices/{deviceId}", http::Auth::required, [&services](http::Request& request) {
    auto device = services.accounts.device(request.user_id, request.path_params[0]);
    if (!device) throw not_found("Unknown device");
    return http::Response::json(device_json(*device));
  });
  router.add_client(verb::put, "/devices/{deviceId}", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    if (!services.accounts.device(request.user_id, request.path_params[0])) throw not_found("Unknown device");
    if (auto name = optional_string(body, "display_name")) {
      if (name->size() > 100) throw invalid_param("display_name is too long");
      // A rename under the user's lock: a read-then-save here could bring back a device (and its
      // old token hash) that a logout deleted in between.
      if (!services.accounts.rename_device(request.user_id, request.path_params[0], *name))
        throw not_found("Unknown device");
    }
    return http::Response::json(json::object{});
  });
  router.add_client_async(verb::delete_, "/devices/{deviceId}", http::Auth::required,
                          [&services](http::Request& request) { return delete_device(services, request); });
  router.add_client_async(verb::post, "/delete_devices", http::Auth::required,
                          [&services](http::Request& request) { return delete_devices(services, request); });
}

}  // namespace domovoy
