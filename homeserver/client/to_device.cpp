// PUT /sendToDevice/{eventType}/{txnId} (client-server-api "Send-to-Device messaging"): messages
// for devices of local users, queued in one durable write; "*" means every device of the user.
// Those for users of another server go to it as one m.direct_to_device EDU per server, whose
// message id is derived from the sender's device and transaction id, so a retried request is
// delivered there once too.
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/base64.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::size_t kMaxRecipients = 10000;

json::object send_to_device(ClientServices& services, http::Request& request) {
  auto body = request.json_body();
  const auto& type = request.path_params[0];
  const auto& txn_id = request.path_params[1];
  if (type.empty() || type.size() > 255) throw invalid_param("Invalid event type");
  const auto* messages = body.if_contains("messages");
  if (!messages) throw missing_param("Missing 'messages'");
  if (!messages->is_object()) throw bad_json("'messages' must be an object");
  std::vector<ToDeviceRecipient> recipients;
  std::vector<std::string> woken;
  std::map<std::string, json::object> remote;  // server -> {user: {device: content}}
  for (const auto& [user_value, devices] : messages->as_object()) {
    std::string user_id(user_value);
    if (!devices.is_object()) throw bad_json("'messages' must map users to {device id: content}");
    for (const auto& [device_value, content] : devices.as_object())
      if (!content.is_object()) throw bad_json("A to-device message's content must be an object");
    if (!services.is_local_user(user_id)) {
      if (is_valid_user_id(user_id) && services.federation_to_device)
        remote[std::string(server_name_of(user_id))][user_id] = devices;
      continue;
    }
    if (!services.accounts.exists(user_id)) continue;
    std::vector<Device> user_devices;  // read once, for "*" and to drop unknown devices
    user_devices = services.accounts.devices(user_id);
    auto add = [&](const std::string& device_id, const json::object& content) {
      recipients.push_back({user_id, device_id, content});
    };
    for (const auto& [device_value, content] : devices.as_object()) {
      std::string device_id(device_value);
      for (const auto& device : user_devices)
        if (device_id == "*" || device.device_id == device_id) add(device.device_id, content.as_object());
    }
    woken.push_back(user_id);
    if (recipients.size() > kMaxRecipients) throw invalid_param("Too many recipients in one request");
  }
  bool first_time = services.to_device.send(request.user_id, request.device_id, txn_id, type, recipients,
                          [&notifier = services.notifier, woken = std::move(woken)] { notifier.wake(woken); });
  if (first_time && !remote.empty()) {
    auto digest = sha256(request.user_id + '\n' + request.device_id + '\n' + txn_id);
    auto message_id = base64_encode(digest.substr(0, 18));
    for (auto& [server, messages] : remote)
      services.federation_to_device(server, json::object{{"sender", request.user_id},
                                                         {"type", type},
                                                         {"message_id", message_id},
                                                         {"messages", std::move(messages)}});
  }
  return {};
}
}  // namespace

void register_to_device_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::put, "/sendToDevice/{eventType}/{txnId}", http::Auth::required,
                    [&services](http::Request& request) { return http::Response::json(send_to_device(services, request)); });
}

}  // namespace domovoy
