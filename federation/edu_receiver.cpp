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
