#pragma once
// Sends this server's events to the other servers in their rooms (server-server-api
// "Transactions"), durably: one consumer ("federation") follows the persisted-event stream and
// files each event this server originated (or relays: joins it accepted as the resident server)
// into a queue per destination — in the same write as its own position, so a crash neither loses
// nor repeats an event. Each destination drains its own queue in transactions of at most 50 PDUs
// (and 100 EDUs), the transaction's id and contents saved before the first attempt so a retry,
// also after a restart, is the same transaction; failures back off exponentially up to a cap, and
// a slow or dead destination delays no other.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "federation/federation_client.hpp"
#include "homeserver/rooms/consumer_store.hpp"
#include "homeserver/rooms/event_stream.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "storage/database.hpp"

namespace domovoy::federation {

struct SenderOptions {
  std::size_t max_pdus = 50;
  std::size_t max_edus = 100;
  std::size_t max_edus_queued = 1000;  // per destination; typing and receipts past it are dropped
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{10000};
  std::chrono::milliseconds request_timeout{30000};
};

class TransactionSender {
 public:
  TransactionSender(boost::asio::io_context& io, boost::asio::thread_pool& blocking, FederationClient& client,
                    storage::Database& database, const EventStream& stream, ConsumerStore& consumers, RoomEngine& rooms,
                    SenderOptions options = {});
  ~TransactionSender();

  void start();
  void notify();  // new events are visible in the stream (from any thread)
  // An EDU for the servers of these users' rooms (typing, receipts): in memory only, as EDUs are.
  void send_edu(const std::set<std::string>& destinations, boost::json::object edu);
  // `name` was just heard from (it sent a signed request): a delivery to it that is backing
  // off is tried again now, as Synapse does, so a server that comes back is caught up at once.
  void heard_from(const std::string& name);
  void stop();

 private:
  struct Destination {
    std::string name;
    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    boost::asio::steady_timer wake;
    std::atomic<bool> notified{false};
    std::atomic<bool> backing_off{false};
    std::atomic<bool> came_back{false};
    std::mutex edu_mutex;
    std::deque<boost::json::object> edus;
    Destination(std::string name_in, boost::asio::io_context& io)
        : name(std::move(name_in)), strand(boost::asio::make_strand(io)), wake(strand) {}
  };

  boost::asio::awaitable<void> distribute();
  // Files the events after the consumer's position into the destinations' queues; the
  // destinations that got some.
  std::set<std::string> file_events();
  std::set<std::string> destinations_of(const Event& event, std::map<std::string, std::set<std::string>>& servers_by_room);
  Destination& destination(const std::string& name);
  void wake(const std::string& name);
  boost::asio::awaitable<void> deliver(Destination& destination);
  // The transaction to send next (saved before it is sent), or none: {txn_id, up_to, pdus}.
  std::optional<boost::json::object> prepare(const std::string& name);
  void acknowledge(const std::string& name, std::uint64_t up_to);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& blocking_;
  FederationClient& client_;
  storage::Database& database_;
  const EventStream& stream_;
  ConsumerStore& consumers_;
  RoomEngine& rooms_;
  SenderOptions options_;
  std::string server_name_;

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer wake_;
  std::atomic<bool> notified_{false};
  std::atomic<bool> stopping_{false};
  std::uint64_t position_ = 0;

  std::mutex destinations_mutex_;
  std::map<std::string, std::unique_ptr<Destination>> destinations_;
  std::map<std::string, std::uint64_t> next_seq_;  // per destination, guarded by destinations_mutex_
  // Per destination, the first sequence number not yet acknowledged (guarded by
  // destinations_mutex_): a queue is read from there, never from its start, where the
  // acknowledged entries' tombstones would make every read slower than the last.
  std::map<std::string, std::uint64_t> first_unacknowledged_;
  std::atomic<std::uint64_t> txn_counter_{0};
};

}  // namespace domovoy::federation
