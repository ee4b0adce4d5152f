// Reporting content (report_content.yaml): POST /rooms/{roomId}/report/{eventId} and
// POST /rooms/{roomId}/report. A report is stored for the server's admins; the reporter must be
// able to see what they report, and an unknown event or room is 404 either way, so that a report
// tells nobody what exists.
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::size_t kMaxReasonBytes = 1000;

std::string reason_of(const json::object& body) {
  auto reason = optional_string(body, "reason").value_or("");
  if (reason.size() > kMaxReasonBytes) throw invalid_param("reason is too long");
  if (const auto* score = body.if_contains("score"); score && !as_integer(*score))
    throw bad_json("score must be an integer");
  return reason;
}
}  // namespace

void register_report_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::post, "/rooms/{roomId}/report/{eventId}", http::Auth::required,
                    [&services](http::Request& request) {
                      auto body = request.json_body();
                      const auto& room_id = request.path_params[0];
                      auto event = services.rooms.get_event(request.path_params[1]);
                      if (!event || event->room_id != room_id || !can_see_event(services, request.user_id, *event))
                        throw not_found("Event not found");
                      services.reports.add({0, room_id, event->event_id, request.user_id, reason_of(body), now_ms()});
                      return http::Response::json(json::object{});
                    });
  router.add_client(verb::post, "/rooms/{roomId}/report", http::Auth::required, [&services](http::Request& request) {
    auto body = request.json_body();
    const auto& room_id = request.path_params[0];
    if (!services.rooms.room_exists(room_id)) throw not_found("Room not found");
    services.reports.add({0, room_id, "", request.user_id, reason_of(body), now_ms()});
    return http::Response::json(json::object{});
  });
}

}  // namespace domovoy
