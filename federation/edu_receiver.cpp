#include "federation/edu_receiver.hpp"

#include "homeserver/core/identifiers.hpp"

namespace domovoy::federation {

namespace json = boost::json;

bool EduReceiver::is_joined_member_of(const std::string& origin, const std::string& room_id,
                                      const std::string& user_id) {
  return is_valid_user_id(user_id) && server_name_of(user_id) == origin && services_.rooms.is_joined(room_id, user_id) &&
         services_.rooms.server_allowed_in(room_id, origin);
}

void EduReceiver::handle(const std::string& origin, const json::object& edu) {
  const auto* type = edu.if_contains("edu_type");
  const auto* content = edu.if_contains("content");
  if (!type || !type->is_string() || !content || !content->is_object()) return;
  if (type->as_string() == "m.typing") typing(origin, content->as_object());
  else if (type->as_string() == "m.receipt") receipts(origin, content->as_object());
  else if (type->as_string() == "m.direct_to_device") to_device(origin, content->as_object());
  else if (type->as_string() == "m.presence") presence(origin, content->as_object());
  else if (type->as_string() == "m.device_list_update" || type->as_string() == "m.signing_key_update")
    device_change(origin, content->as_object());
}

namespace {
constexpr std::size_t kMaxToDeviceRecipients = 10'000;
}  // namespace

void EduReceiver::to_device(const std::string& origin, const json::object& content) {
  const auto* sender = content.if_contains("sender");
  const auto* type = content.if_contains("type");
  const auto* message_id = content.if_contains("message_id");
  const auto* messages = content.if_contains("messages");
  if (!sender || !sender->is_string() || !type || !type->is_string() || type->as_string().empty() ||
      type->as_string().size() > 255 || !message_id || !message_id->is_string() || message_id->as_string().empty() ||
      !messages || !messages->is_object())
    return;
  std::string sender_id(sender->as_string());
  if (!is_valid_user_id(sender_id) || server_name_of(sender_id) != origin) return;
  std::vector<ToDeviceRecipient> recipients;
  std::vector<std::string> woken;
  for (const auto& [user, devices] : messages->as_object()) {
    std::string user_id(user);
    if (!devices.is_object() || !services_.is_local_user(user_id) || !services_.accounts.exists(user_id)) continue;
    auto user_devices = services_.accounts.devices(user_id);
    for (const auto& [device, message] : devices.as_object()) {
      if (!message.is_object()) continue;
      for (const auto& known : user_devices)
        if (device == "*" || known.device_id == device) recipients.push_back({user_id, known.device_id, message.as_object()});
    }
    // One EDU may not make this server write without bound (a "*" for every user of a big
    // server): what is past the cap is dropped, as an EDU may be.
    if (recipients.size() > kMaxToDeviceRecipients) {
      recipients.resize(kMaxToDeviceRecipients);
      woken.push_back(user_id);
      break;
    }
    woken.push_back(user_id);
  }
  // The origin's message id stands for the sender's transaction: a transaction sent again
  // delivers nothing twice. The sender's device is not known here; the origin stands for it.
  services_.to_device.send(sender_id, "federation:" + origin, std::string(message_id->as_string()),
                           std::string(type->as_string()), recipients,
                           [&notifier = services_.notifier, woken = std::move(woken)] { notifier.wake(woken); });
}

void EduReceiver::presence(const std::string& origin, const json::object& content) {
  const auto* push = content.if_contains("push");
  if (!push || !push->is_array()) return;
  for (const auto& entry : push->as_array()) {
    if (!entry.is_object()) continue;
    const auto& update = entry.as_object();
    const auto* user = update.if_contains("user_id");
    const auto* state = update.if_contains("presence");
    if (!user || !user->is_string() || !state || !state->is_string()) continue;
    std::string user_id(user->as_string()), presence(state->as_string());
    if (presence != "online" && presence != "offline" && presence != "unavailable") continue;
    if (!is_valid_user_id(user_id) || server_name_of(user_id) != origin) continue;
    // Only users who share a room with local users matter.
    if (services_.rooms.rooms_of_user(user_id).empty()) continue;
    std::optional<std::string> message;
    if (const auto* status = update.if_contains("status_msg"); status && status->is_string())
      message = std::string(status->as_string());
    services_.set_presence(user_id, presence, std::move(message));
  }
}

void EduReceiver::device_change(const std::string& origin, const json::object& content) {
  const auto* user = content.if_contains("user_id");
  if (!user || !user->is_string()) return;
  std::string user_id(user->as_string());
  if (!is_valid_user_id(user_id) || server_name_of(user_id) != origin) return;
  // Only users who share a room with local users matter; the change is noted for them.
  if (services_.rooms.rooms_of_user(user_id).empty()) return;
  services_.tell_device_change(user_id);
}

void EduReceiver::typing(const std::string& origin, const json::object& content) {
  const auto* room = content.if_contains("room_id");
  const auto* user = content.if_contains("user_id");
  const auto* typing = content.if_contains("typing");
  if (!room || !room->is_string() || !user || !user->is_string() || !typing || !typing->is_bool()) return;
  std::string room_id(room->as_string()), user_id(user->as_string());
  if (!is_joined_member_of(origin, room_id, user_id)) return;
  if (services_.typing.set_typing(room_id, user_id, typing->as_bool(), kTypingTimeoutMs))
    services_.notifier.wake(services_.rooms.joined_members(room_id));
}

void EduReceiver::receipts(const std::string& origin, const json::object& content) {
  for (const auto& [room, by_type] : content) {
    std::string room_id(room);
    if (!by_type.is_object()) continue;
    for (const auto& [type, by_user] : by_type.as_object()) {
      if (type != "m.read" || !by_user.is_object()) continue;  // private receipts never cross servers
      for (const auto& [user, receipt] : by_user.as_object()) {
        std::string user_id(user);
        if (!receipt.is_object() || !is_joined_member_of(origin, room_id, user_id)) continue;
        const auto* ids = receipt.as_object().if_contains("event_ids");
        if (!ids || !ids->is_array() || ids->as_array().empty() || !ids->as_array()[0].is_string()) continue;
        std::string event_id(ids->as_array()[0].as_string());
        auto event = services_.rooms.get_event(event_id);
        if (!event || event->room_id != room_id) continue;
        std::int64_t ts = 0;
        std::string thread_id;
        if (const auto* data = receipt.as_object().if_contains("data"); data && data->is_object()) {
          if (const auto* t = data->as_object().if_contains("ts"); t && t->is_int64()) ts = t->as_int64();
          if (const auto* thread = data->as_object().if_contains("thread_id"); thread && thread->is_string())
            thread_id = std::string(thread->as_string());
        }
        auto wake = services_.rooms.joined_members(room_id);
        services_.receipts.put(Receipt{room_id, "m.read", user_id, event_id, ts, thread_id, 0},
                               [&notifier = services_.notifier, wake]() { notifier.wake(wake); });
      }
    }
  }
}

}  // namespace domovoy::federation
