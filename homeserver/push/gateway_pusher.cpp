#include "homeserver/push/gateway_pusher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "homeserver/core/json.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy {

namespace asio = boost::asio;

namespace {
constexpr const char* kConsumer = "push";

std::string state_text(RoomEngine& rooms, const StatePtr& state, const char* type, const std::string& key,
                       const char* field) {
  auto event = rooms.state_event(state, type, key);
  if (!event) return {};
  const auto* value = event->content().if_contains(field);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}
}  // namespace

GatewayPusher::GatewayPusher(asio::io_context& io, asio::thread_pool& blocking, http::HttpClient& client,
                             const EventStream& stream, ConsumerStore& consumers, RoomEngine& rooms,
                             PusherStore& pushers, UnreadCounts& unread, GatewayPusherOptions options)
    : io_(io),
      blocking_(blocking),
      client_(client),
      stream_(stream),
      consumers_(consumers),
      rooms_(rooms),
      pushers_(pushers),
      unread_(unread),
      options_(options),
      strand_(asio::make_strand(io)),
      wake_(strand_) {
  if (auto record = consumers_.load(kConsumer)) {
    position_ = record->at("position").to_number<std::uint64_t>();
  } else {
    // A new consumer starts at the present: pushers registered now want what comes, not history.
    position_ = stream_.visible();
    consumers_.save(kConsumer, json::object{{"position", position_}});
  }
}

void GatewayPusher::start() {
  asio::co_spawn(strand_, follow_stream(), asio::detached);
  auto resume = [this] {
    for (const auto& key : pushers_.pushers_with_queue()) asio::post(strand_, [this, key] { start_delivery(key); });
  };
  asio::post(blocking_, resume);
}

void GatewayPusher::notify() {
  notified_ = true;
  asio::post(strand_, [this] { wake_.cancel(); });
}

void GatewayPusher::stop() {
  stopping_ = true;
  asio::post(strand_, [this] { wake_.cancel(); });
}

json::object GatewayPusher::notification_for(const Event& event, const Pusher& pusher, const PushActions& actions,
                                             std::int64_t unread) {
  json::object tweaks;
  if (!actions.sound.empty()) tweaks["sound"] = actions.sound;
  if (actions.highlight) tweaks["highlight"] = true;
  json::object data = pusher.data;
  data.erase("url");
  json::object device{{"app_id", pusher.app_id}, {"pushkey", pusher.pushkey}, {"pushkey_ts", pusher.pushkey_ts},
                      {"data", std::move(data)}, {"tweaks", std::move(tweaks)}};
  json::object notification{{"event_id", event.event_id},
                            {"room_id", event.room_id},
                            {"counts", json::object{{"unread", unread}}},
                            {"devices", json::array{std::move(device)}},
                            {"prio", actions.highlight || actions.sound.size() ? "high" : "low"}};
  const auto* format = pusher.data.if_contains("format");
  bool id_only = format && format->is_string() && format->as_string() == "event_id_only";
  if (!id_only) {
    auto state = rooms_.current_state(event.room_id);
    notification["type"] = event.type;
    notification["sender"] = event.sender;
    notification["content"] = event.content();
    auto sender_name = state_text(rooms_, state, "m.room.member", event.sender, "displayname");
    if (!sender_name.empty()) notification["sender_display_name"] = sender_name;
    auto room_name = state_text(rooms_, state, "m.room.name", "", "name");
    if (!room_name.empty()) notification["room_name"] = room_name;
    auto alias = state_text(rooms_, state, "m.room.canonical_alias", "", "alias");
    if (!alias.empty()) notification["room_alias"] = alias;
    if (event.state_key) {
      notification["user_is_target"] = *event.state_key == pusher.user_id;
      if (event.type == "m.room.member") notification["membership"] = event.membership();
    }
  }
  return json::object{{"notification", std::move(notification)}};
}

std::set<std::string> GatewayPusher::queue_next(bool& more) {
  std::set<std::string> touched;
  auto entries = stream_.read_after(position_, options_.events_per_batch);
  more = entries.size() == options_.events_per_batch;
  if (entries.empty()) return touched;
  storage::WriteBatch batch;
  for (const auto& entry : entries) {
    auto event = rooms_.get_event(entry.event_id);
    if (!event) continue;
    std::optional<UnreadCounts::EventContext> context;  // once per event, when a member has a pusher
    for (const auto& member : rooms_.joined_members(entry.room_id)) {
      if (member == event->sender || !pushers_.has_pushers(member)) continue;
      if (!context) context = unread_.event_context(*event);
      auto actions = unread_.actions_for(member, *context);
      if (!actions.notify) continue;
      std::int64_t unread = 0;
      for (const auto& record : rooms_.rooms_of_user(member))
        if (record.membership == "join") unread += unread_.at(member, record.room_id, entry.position).total.notifications;
      for (const auto& pusher : pushers_.of_user(member)) {
        pushers_.enqueue(batch, pusher.key(), notification_for(*event, pusher, actions, unread));
        touched.insert(pusher.key());
      }
    }
  }
  position_ = entries.back().position;
  // The notifications and the position past their events in one write: each queued once.
  consumers_.save(batch, kConsumer, json::object{{"position", position_}});
  pushers_.write(std::move(batch), !touched.empty());
  return touched;
}

asio::awaitable<void> GatewayPusher::follow_stream() {
  while (!stopping_) {
    notified_ = false;
    bool more = false;
    auto step = [&] { return queue_next(more); };
    std::set<std::string> touched;
    try {
      touched = co_await http::run_blocking(blocking_, step);
    } catch (const std::exception& error) {
      spdlog::error("push: queueing notifications failed: {}", error.what());
    }
    for (const auto& key : touched) start_delivery(key);
    if (more || notified_) continue;
    wake_.expires_after(std::chrono::hours(1));
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void GatewayPusher::start_delivery(const std::string& pusher_key) {
  if (!delivering_.insert(pusher_key).second) return;  // its coroutine will find the new ones
  asio::co_spawn(strand_, deliver(pusher_key), asio::detached);
}

asio::awaitable<void> GatewayPusher::deliver(std::string pusher_key) {
  auto retry = options_.first_retry;
  asio::steady_timer timer(strand_);
  while (!stopping_) {
    auto next = [&] {
      return std::pair{pushers_.find(pusher_key), pushers_.queued(pusher_key, 1)};
    };
    // No structured binding: a lambda below uses both, which clang 14 refuses for bindings.
    auto found = co_await http::run_blocking(blocking_, next);
    std::optional<Pusher> pusher = std::move(found.first);
    auto queued = std::move(found.second);
    if (!pusher || queued.empty()) break;
    const auto* url = pusher->data.if_contains("url");
    if (!url || !url->is_string()) break;
    http::ClientRequest request;
    request.method = boost::beast::http::verb::post;
    request.url = std::string(url->as_string());
    request.headers = {{"Content-Type", "application/json"}};
    request.body = to_json(queued.front().second);
    request.timeout = options_.request_timeout;
    auto response = co_await client_.request(request);
    if (response.success()) {
      retry = options_.first_retry;
      std::vector<std::string> rejected;
      try {
        auto body = parse_untrusted_json(response.body.empty() ? "{}" : response.body);
        if (body.is_object())
          if (const auto* list = body.as_object().if_contains("rejected"); list && list->is_array())
            for (const auto& key : list->as_array())
              if (key.is_string()) rejected.emplace_back(key.as_string());
      } catch (const std::exception&) {
        // A gateway that accepted with a body that is not JSON has still accepted.
      }
      auto done = [&] {
        pushers_.dequeue(queued.front().first);
        // The gateway no longer knows this device: its pusher goes (push-gateway-api "rejected").
        if (std::find(rejected.begin(), rejected.end(), pusher->pushkey) != rejected.end())
          pushers_.remove(pusher->user_id, pusher->app_id, pusher->pushkey);
      };
      co_await http::run_blocking(blocking_, done);
      continue;
    }
    spdlog::warn("push: gateway for a pusher of app {} failed ({}); retrying in {} ms", pusher->app_id,
                 response.ok() ? "status " + std::to_string(response.status) : response.message, retry.count());
    timer.expires_after(retry);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    retry = std::min(retry * 2, options_.max_retry);
  }
  delivering_.erase(pusher_key);
  // Something may have been queued after the last look: look once more.
  auto again = [&] { return pushers_.queued(pusher_key, 1).empty(); };
  if (!stopping_ && !co_await http::run_blocking(blocking_, again)) start_delivery(pusher_key);
}

}  // namespace domovoy
