#pragma once
// Pushes the events an appservice is interested in (application-service-api "Pushing events")
// to PUT {url}/_matrix/app/v1/transactions/{txnId}, following the persisted-event stream from
// the appservice's own durable position. The transaction being sent is itself durable (its id,
// its events and the stream position it ends at) before the first attempt, so every retry,
// also after a restart of the homeserver, sends the same txnId with the same events, and the
// position moves on only once the appservice answered 2xx: in order, nothing skipped, nothing
// acknowledged twice. Failures back off exponentially up to a cap; one slow or dead appservice
// holds up no other, nor any client.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "homeserver/appservice/namespaces.hpp"
#include "homeserver/http/client.hpp"
#include "homeserver/rooms/consumer_store.hpp"
#include "homeserver/rooms/event_stream.hpp"
#include "homeserver/rooms/room_directory.hpp"
#include "homeserver/rooms/room_engine.hpp"

namespace domovoy::appservice {

struct PusherOptions {
  std::size_t max_events_per_transaction = 100;
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{15000};
  std::chrono::milliseconds request_timeout{30000};
  std::size_t max_ephemeral_queued = 1000;  // typing and receipts are dropped past this, never events
};

class TransactionPusher {
 public:
  TransactionPusher(boost::asio::io_context& io, boost::asio::thread_pool& blocking, http::HttpClient& client,
                    const AppserviceRegistry& registry, const Registration& registration, const EventStream& stream,
                    ConsumerStore& consumers, RoomEngine& rooms, const RoomDirectory& directory, PusherOptions options = {});

  void start();
  // New events are visible in the stream (called from any thread).
  void notify();
  // An ephemeral event (m.typing, m.receipt, m.presence) for the appservice when its
  // registration has receive_ephemeral; kept in memory only, as the spec allows.
  void push_ephemeral(boost::json::object edu, const std::string& room_id);
  // A presence change, for an appservice one of whose users shares a room with the user.
  void push_presence(boost::json::object edu, const std::vector<std::string>& room_mates);
  void stop();

  const Registration& registration() const { return registration_; }
  // The durable consumer name: "appservice:<id>".
  std::string consumer_name() const { return "appservice:" + registration_.id; }

 private:
  struct Pending {
    std::uint64_t txn_id = 0;
    std::uint64_t up_to = 0;
    std::vector<std::string> event_ids;
  };
  boost::asio::awaitable<void> run();
  // Blocking steps (storage), run on the blocking pool.
  bool prepare_next();  // reads the stream on from the position; true when a transaction is pending
  std::string transaction_body(std::vector<boost::json::object>& ephemeral);
  void acknowledge();
  void save() const;
  bool is_interested(const Event& event, std::unordered_map<std::string, bool>& room_interest);
  bool room_has_interest(const std::string& room_id);
  void enqueue_ephemeral(boost::json::object edu);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& blocking_;
  http::HttpClient& client_;
  const AppserviceRegistry& registry_;
  const Registration& registration_;
  const EventStream& stream_;
  ConsumerStore& consumers_;
  RoomEngine& rooms_;
  const RoomDirectory& directory_;
  PusherOptions options_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer wake_;
  std::atomic<bool> notified_{false};
  std::atomic<bool> stopping_{false};

  // Owned by the run() coroutine.
  std::uint64_t position_ = 0;
  std::uint64_t next_txn_ = 1;
  std::optional<Pending> pending_;

  std::mutex ephemeral_mutex_;
  std::deque<boost::json::object> ephemeral_;
};

}  // namespace domovoy::appservice
