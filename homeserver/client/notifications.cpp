// GET /notifications (notifications.yaml): the events of the user's rooms that their push rules
// notify for, newest first across rooms, with `only=highlight`, `from` and `limit`. Evaluated on
// demand from the rooms' recent events (at most kExaminedPerRoom in each room per page), with the
// same rules and context as the unread counts in /sync.
#include <charconv>

#include "homeserver/client/event_format.hpp"
#include "homeserver/client/room_access.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {
constexpr std::int64_t kDefaultLimit = 20;
constexpr std::int64_t kMaxLimit = 100;
constexpr std::size_t kExaminedPerRoom = 200;

json::array actions_json(const PushActions& actions) {
  json::array out{"notify"};
  if (!actions.sound.empty()) out.push_back(json::object{{"set_tweak", "sound"}, {"value", actions.sound}});
  if (actions.highlight) out.push_back(json::object{{"set_tweak", "highlight"}});
  return out;
}

json::object notifications(ClientServices& services, http::Request& request) {
  std::int64_t limit = kDefaultLimit;
  if (auto text = request.query_param("limit")) {
    auto result = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (text->empty() || result.ec != std::errc{} || result.ptr != text->data() + text->size() || limit < 0)
      throw invalid_param("limit must be a non-negative integer");
    limit = std::min(limit, kMaxLimit);
  }
  auto only = request.query_param("only").value_or("");
  bool highlights_only = only == "highlight";
  std::uint64_t before = UINT64_MAX;
  if (auto from = request.query_param("from"); from && !from->empty()) {
    auto result = std::from_chars(from->data() + 1, from->data() + from->size(), before);
    if ((*from)[0] != 'n' || result.ec != std::errc{} || result.ptr != from->data() + from->size())
      throw invalid_param("Invalid from token");
  }
  struct Found {
    EventPtr event;
    PushActions actions;
    bool read = false;
  };
  std::vector<Found> found;
  auto up_to = std::min<std::uint64_t>(before == UINT64_MAX ? UINT64_MAX : before - 1, services.rooms.current_stream());
  auto ignored = ignored_users(services, request.user_id);
  for (const auto& record : services.rooms.rooms_of_user(request.user_id)) {
    if (record.membership != "join") continue;
    auto read = services.unread.read_positions(request.user_id, record.room_id);
    std::size_t taken = 0;
    for (const auto& event : services.rooms.room_events(record.room_id, 0, up_to, kExaminedPerRoom, true)) {
      if (event->sender == request.user_id || hidden_by_ignore(ignored, *event)) continue;
      auto actions = services.unread.actions_for(request.user_id, *event);
      if (!actions.notify || (highlights_only && !actions.highlight)) continue;
      found.push_back({event, actions, services.unread.has_read(read, *event)});
      if (++taken > static_cast<std::size_t>(limit)) break;
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.event->stream > b.event->stream; });
  json::array out;
  bool more = found.size() > static_cast<std::size_t>(limit);
  if (more) found.resize(static_cast<std::size_t>(limit));
  for (const auto& item : found) {
    out.push_back(json::object{{"actions", actions_json(item.actions)},
                               {"event", client_event(services.rooms, *item.event, request.user_id, request.device_id)},
                               {"read", item.read},
                               {"room_id", item.event->room_id},
                               {"ts", item.event->origin_server_ts}});
  }
  json::object response{{"notifications", std::move(out)}};
  if (more && !found.empty()) response["next_token"] = "n" + std::to_string(found.back().event->stream);
  return response;
}
}  // namespace

void register_notification_routes(http::Router& router, ClientServices& services) {
  router.add_client(verb::get, "/notifications", http::Auth::required,
                    [&services](http::Request& request) { return http::Response::json(notifications(services, request)); });
}

}  // namespace domovoy
