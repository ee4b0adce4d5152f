// Device management (modules/device_management.md). Deleting devices needs UIA with a password.
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"

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

void require_password(ClientServices& services, http::Request& request, const json::object& body,
                      const std::string& what) {
  services.uia.require(body, {{"m.login.password"}}, what + ":" + request.user_id,
                       [&services, &request](const std::string& stage, const json::object& auth) {
                         if (stage != "m.login.password") return false;
                         auto password = required_string(auth, "password");
                         auto account = services.accounts.find(request.user_id);
                         if (!account || !services.accounts.check_password(*account, password))
                           throw forbidden("Invalid password");
                         if (const auto* identifier = optional_object(auth, "identifier")) {
                           auto user = optional_string(*identifier, "user").value_or("");
                           if (user != request.user_id && services.user_id_for(user) != request.user_id)
                             throw forbidden("Identifier does not match the user");
                         }
                         return true;
                       });
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
    auto device = services.accounts.device(request.user_id, request.path_params[0]);
    if (!device) throw not_found("Unknown device");
    if (auto name = optional_string(body, "display_name")) {
      if (name->size() > 100) throw invalid_param("display_name is too long");
      device->display_name = *name;
      services.accounts.save_device(request.user_id, *device);
    }
    return http::Response::json(json::object{});
  });
  router.add_client(verb::delete_, "/devices/{deviceId}", http::Auth::required, [&services](http::Request& request) {
    auto body = request.optional_json_body();
    if (!services.accounts.device(request.user_id, request.path_params[0])) throw not_found("Unknown device");
    require_password(services, request, body, "delete_device:" + request.path_params[0]);
    services.accounts.delete_device(request.user_id, request.path_params[0]);
    return http::Response::json(json::object{});
  });
  router.add_client(verb::post, "/delete_devices", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    const auto* devices = body.if_contains("devices");
    if (!devices) throw missing_param("Missing 'devices'");
    if (!devices->is_array()) throw bad_json("'devices' must be an array");
    std::vector<std::string> ids;
    for (const auto& id : devices->as_array()) {
      if (!id.is_string()) throw bad_json("'devices' must hold strings");
      ids.emplace_back(id.as_string());
    }
    require_password(services, request, body, "delete_devices");
    for (const auto& id : ids) services.accounts.delete_device(request.user_id, id);
    return http::Response::json(json::object{});
  });
}

}  // namespace domovoy
