// Typing notifications, receipts and read markers (modules/typing_notifications.md,
// receipts.md, read_markers.md).
#include "homeserver/client/room_access.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/rooms/relation_index.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

EventPtr require_event_in_room(ClientServices& services, const std::string& room_id, const std::string& event_id) {
  auto event = services.rooms.get_event(event_id);
  if (!event || event->room_id != room_id) throw not_found("Event not found in room");
  return event;
}

// receipts.yaml: a threaded receipt names the thread its event is in ("main" for the main
// timeline; a thread's root may carry its thread's receipt too).
void require_in_thread(ClientServices& services, const Event& event, const std::string& thread_id) {
  auto thread = thread_of(event, [&services](std::string_view id) { return services.rooms.get_event(id); });
  if (thread == thread_id || (thread_id != kMainThread && event.event_id == thread_id)) return;
  throw invalid_param("Event " + event.event_id + " is not in thread " + thread_id);
}

void put_receipt(ClientServices& services, const std::string& room_id, const std::string& user_id,
                 const std::string& type, const std::string& event_id, const std::string& thread_id) {
  auto event = require_event_in_room(services, room_id, event_id);
  if (!thread_id.empty()) require_in_thread(services, *event, thread_id);
  auto wake = type == "m.read.private" ? std::vector<std::string>{user_id} : services.rooms.joined_members(room_id);
  auto ts = now_ms();
  services.receipts.put(Receipt{room_id, type, user_id, event_id, ts, thread_id, 0},
                        [&notifier = services.notifier, wake]() { notifier.wake(wake); });
  // Private receipts are the user's own business; appservices get the shared ones (MSC2409).
  if (services.federation_edu && type != "m.read.private") {
    json::object data{{"ts", ts}};
    if (!thread_id.empty()) data["thread_id"] = thread_id;
    json::object by_user{{user_id, json::object{{"event_ids", json::array{json::string(event_id)}}, {"data", std::move(data)}}}};
    services.federation_edu(room_id, json::object{{"edu_type", "m.receipt"},
                                                  {"content", json::object{{room_id, json::object{{type, std::move(by_user)}}}}}});
  }
  if (services.ephemeral_out && type != "m.read.private") {
    json::object receipt{{"ts", ts}};
    if (!thread_id.empty()) receipt["thread_id"] = thread_id;
    json::object content{{event_id, json::object{{type, json::object{{user_id, std::move(receipt)}}}}}};
    services.ephemeral_out(json::object{{"type", "m.receipt"}, {"room_id", room_id}, {"content", std::move(content)}},
                           room_id);
  }
}

void put_fully_read(ClientServices& services, const std::string& room_id, const std::string& user_id,
                    const std::string& event_id) {
  require_event_in_room(services, room_id, event_id);
  services.account_data.put(user_id, room_id, "m.fully_read", json::object{{"event_id", event_id}},
                            [&notifier = services.notifier, user_id]() { notifier.wake_user(user_id); });
}

}  // namespace

void register_ephemeral_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::put, "/rooms/{roomId}/typing/{userId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      if (request.path_params[1] != request.user_id)
                        throw forbidden("Cannot set typing for another user");
                      auto body = request.json_body();
                      const auto* typing = body.if_contains("typing");
                      if (!typing) throw missing_param("Missing 'typing'");
                      if (!typing->is_bool()) throw bad_json("'typing' must be a boolean");
                      auto timeout = optional_int(body, "timeout").value_or(30000);
                      require_joined(services, room_id, request.user_id);
                      // Other servers time typing out themselves: every refresh goes to them.
                      if (services.federation_edu)
                        services.federation_edu(room_id, json::object{{"edu_type", "m.typing"},
                                                                      {"content", json::object{{"room_id", room_id},
                                                                                               {"user_id", request.user_id},
                                                                                               {"typing", typing->as_bool()}}}});
                      if (services.typing.set_typing(room_id, request.user_id, typing->as_bool(), timeout)) {
                        services.notifier.wake(services.rooms.joined_members(room_id));
                        if (services.ephemeral_out) {
                          json::array users;
                          for (const auto& user : services.typing.typing_users(room_id)) users.push_back(json::string(user));
                          services.ephemeral_out(json::object{{"type", "m.typing"},
                                                              {"room_id", room_id},
                                                              {"content", json::object{{"user_ids", std::move(users)}}}},
                                                 room_id);
                        }
                      }
                      return http::Response::json(json::object{});
                    });

  router.add_client(verb::post, "/rooms/{roomId}/receipt/{receiptType}/{eventId}", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      const auto& type = request.path_params[1];
                      const auto& event_id = request.path_params[2];
                      auto body = request.json_body();
                      if (type != "m.read" && type != "m.read.private" && type != "m.fully_read")
                        throw invalid_param("Unknown receipt type " + type);
                      auto thread = optional_string(body, "thread_id");
                      if (thread && thread->empty()) throw invalid_param("thread_id must not be empty");
                      if (thread && type == "m.fully_read") throw invalid_param("m.fully_read takes no thread_id");
                      auto thread_id = thread.value_or("");
                      require_joined(services, room_id, request.user_id);
                      if (type == "m.fully_read") put_fully_read(services, room_id, request.user_id, event_id);
                      else put_receipt(services, room_id, request.user_id, type, event_id, thread_id);
                      return http::Response::json(json::object{});
                    });

  router.add_client(verb::post, "/rooms/{roomId}/read_markers", http::Auth::required,
                    [&services](http::Request& request) {
                      const auto& room_id = request.path_params[0];
                      auto body = request.json_body();
                      auto fully_read = optional_string(body, "m.fully_read");
                      auto read = optional_string(body, "m.read");
                      auto read_private = optional_string(body, "m.read.private");
                      require_joined(services, room_id, request.user_id);
                      if (fully_read) put_fully_read(services, room_id, request.user_id, *fully_read);
                      if (read) put_receipt(services, room_id, request.user_id, "m.read", *read, "");
                      if (read_private)
                        put_receipt(services, room_id, request.user_id, "m.read.private", *read_private, "");
                      return http::Response::json(json::object{});
                    });
}

}  // namespace domovoy
