#pragma once
// Delivery of notifications to push gateways (push-gateway-api, POST /_matrix/push/v1/notify).
// A durable consumer ("push") follows the persisted-event stream: for each event, each joined
// member with a pusher (other than the sender) has the event evaluated against their push rules,
// and what notifies is queued per pusher in the batch that moves the consumer on. Each pusher's
// queue is then sent in order by its own coroutine, retried with exponential back-off while the
// gateway fails, so one dead gateway delays no other; a pushkey the gateway reports rejected
// removes its pusher, as the spec says.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/http/client.hpp"
#include "homeserver/push/pusher_store.hpp"
#include "homeserver/rooms/consumer_store.hpp"
#include "homeserver/rooms/event_stream.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/sync/unread_counts.hpp"

namespace domovoy {

struct GatewayPusherOptions {
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds max_retry{std::chrono::minutes(10)};
  std::chrono::milliseconds request_timeout{15000};
  std::size_t events_per_batch = 100;
};

class GatewayPusher {
 public:
  GatewayPusher(boost::asio::io_context& io, boost::asio::thread_pool& blocking, http::HttpClient& client,
                const EventStream& stream, ConsumerStore& consumers, RoomEngine& rooms, PusherStore& pushers,
                UnreadCounts& unread, GatewayPusherOptions options = {});

  void start();
  void notify();  // new events are visible (any thread)
  void stop();

 private:
  boost::asio::awaitable<void> follow_stream();
  boost::asio::awaitable<void> deliver(std::string pusher_key);
  // Blocking: queues the notifications of the next events; returns the pushers that got some.
  std::set<std::string> queue_next(bool& more);
  boost::json::object notification_for(const Event& event, const Pusher& pusher, const PushActions& actions,
                                       std::int64_t unread);
  void start_delivery(const std::string& pusher_key);  // on the strand

  boost::asio::io_context& io_;
  boost::asio::thread_pool& blocking_;
  http::HttpClient& client_;
  const EventStream& stream_;
  ConsumerStore& consumers_;
  RoomEngine& rooms_;
  PusherStore& pushers_;
  UnreadCounts& unread_;
  GatewayPusherOptions options_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer wake_;
  std::atomic<bool> notified_{false};
  std::atomic<bool> stopping_{false};
  std::uint64_t position_ = 0;        // owned by follow_stream
  std::set<std::string> delivering_;  // pushers with a running deliver(), on the strand
};

}  // namespace domovoy
