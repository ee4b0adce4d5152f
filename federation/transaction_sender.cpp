#include "federation/transaction_sender.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <spdlog/spdlog.h>

#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/http/blocking.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::federation {

namespace asio = boost::asio;
namespace json = boost::json;
using storage::Table;

namespace {
constexpr const char* kConsumer = "federation";
constexpr std::size_t kStreamBatch = 200;
// EDUs in one transaction, in bytes: with 50 PDUs of at most 64 KiB beside them, a transaction
// stays well under the 8 MiB that servers (this one included) take in a /send body.
constexpr std::size_t kMaxEduBytes = 4 * 1024 * 1024;

std::string seq_key(const std::string& destination) { return storage::join_key({"seq", destination}); }
std::string txn_key(const std::string& destination) { return storage::join_key({"txn", destination}); }
}  // namespace

TransactionSender::TransactionSender(asio::io_context& io, asio::thread_pool& blocking, FederationClient& client,
                                     storage::Database& database, const EventStream& stream, ConsumerStore& consumers,
                                     RoomEngine& rooms, SenderOptions options)
    : io_(io),
      blocking_(blocking),
      client_(client),
      database_(database),
      stream_(stream),
      consumers_(consumers),
      rooms_(rooms),
      options_(options),
      server_name_(rooms.identity().server_name),
      strand_(asio::make_strand(io)),
      wake_(strand_) {
  // A server that starts federating sends what happens from then on; history is other
  // servers' to backfill.
  auto record = consumers_.load(kConsumer);
  if (!record) {
    position_ = stream_.visible();
    consumers_.save(kConsumer, json::object{{"position", position_}});
  } else {
    position_ = record->at("position").to_number<std::uint64_t>();
  }
}

TransactionSender::~TransactionSender() { stop(); }

void TransactionSender::start() {
  asio::co_spawn(strand_, distribute(), asio::detached);
  // Destinations with work left from before a restart.
  std::vector<std::string> waiting;
  database_.scan_prefix(Table::destination_state, storage::key_prefix({"txn"}), [&](std::string_view key, std::string_view) {
    waiting.emplace_back(key.substr(4));
    return true;
  });
  std::string last;
  database_.scan_prefix(Table::destinationqueue_pdu, "", [&](std::string_view key, std::string_view) {
    auto name = std::string(key.substr(0, key.find('\0')));
    if (name != last) waiting.push_back(name);
    last = name;
    return true;
  });
  for (const auto& name : waiting) wake(name);
}

void TransactionSender::notify() {
  notified_ = true;
  asio::post(strand_, [this] { wake_.cancel(); });
}

void TransactionSender::stop() {
  stopping_ = true;
  asio::post(strand_, [this] { wake_.cancel(); });
  std::lock_guard lock(destinations_mutex_);
  for (auto& [name, destination] : destinations_) {
    auto* d = destination.get();
    asio::post(d->strand, [d] { d->wake.cancel(); });
  }
}

void TransactionSender::send_edu(const std::set<std::string>& destinations, json::object edu) {
  for (const auto& name : destinations) {
    if (name == server_name_) continue;
    auto& target = destination(name);
    {
      std::lock_guard lock(target.edu_mutex);
      if (target.edus.size() >= options_.max_edus_queued) target.edus.pop_front();
      target.edus.push_back(edu);
    }
    wake(name);
  }
}

void TransactionSender::heard_from(const std::string& name) {
  Destination* target = nullptr;
  {
    std::lock_guard lock(destinations_mutex_);
    auto found = destinations_.find(name);
    if (found == destinations_.end()) return;
    target = found->second.get();
  }
  if (!target->backing_off || target->came_back.exchange(true)) return;
  asio::post(target->strand, [target] { target->wake.cancel(); });
}

TransactionSender::Destination& TransactionSender::destination(const std::string& name) {
  std::lock_guard lock(destinations_mutex_);
  auto& slot = destinations_[name];
  if (!slot) {
    slot = std::make_unique<Destination>(name, io_);
    if (!stopping_) asio::co_spawn(slot->strand, deliver(*slot), asio::detached);
  }
  return *slot;
}

void TransactionSender::wake(const std::string& name) {
  auto& target = destination(name);
  target.notified = true;
  asio::post(target.strand, [&target] { target.wake.cancel(); });
}

std::set<std::string> TransactionSender::destinations_of(const Event& event,
                                                         std::map<std::string, std::set<std::string>>& servers_by_room) {
  std::set<std::string> destinations;
  auto origin = std::string(server_name_of(event.sender));
  if (origin != server_name_ && !event.relay) return destinations;
  auto [it, inserted] = servers_by_room.try_emplace(event.room_id);
  if (inserted) it->second = rooms_.joined_servers(event.room_id);
  destinations = it->second;
  // A member event also goes to the server of its member (a kick, a ban, an invite answered).
  if (event.type == "m.room.member" && event.state_key && is_valid_user_id(*event.state_key))
    destinations.emplace(server_name_of(*event.state_key));
  // The room's servers change with its members: later events look again.
  if (event.type == "m.room.member") servers_by_room.erase(event.room_id);
  destinations.erase(server_name_);
  destinations.erase(origin);
  return destinations;
}

std::set<std::string> TransactionSender::file_events() {
  std::set<std::string> touched;
  std::map<std::string, std::set<std::string>> servers_by_room;
  while (true) {
    auto entries = stream_.read_after(position_, kStreamBatch);
    if (entries.empty()) return touched;
    storage::WriteBatch batch;
    std::map<std::string, std::uint64_t> seqs;
    for (const auto& entry : entries) {
      auto event = rooms_.get_event(entry.event_id);
      if (!event) continue;
      for (const auto& name : destinations_of(*event, servers_by_room)) {
        auto [seq, inserted] = seqs.try_emplace(name, 0);
        if (inserted) {
          std::lock_guard lock(destinations_mutex_);
          auto known = next_seq_.find(name);
          if (known != next_seq_.end()) seq->second = known->second;
          else if (auto stored = database_.get(Table::destination_state, seq_key(name)))
            seq->second = storage::read_be64(*stored);
        }
        batch.put(Table::destinationqueue_pdu, storage::join_key({name, storage::be64(seq->second)}), entry.event_id);
        ++seq->second;
        touched.insert(name);
      }
    }
    for (const auto& [name, seq] : seqs) batch.put(Table::destination_state, seq_key(name), storage::be64(seq));
    position_ = entries.back().position;
    consumers_.save(batch, kConsumer, json::object{{"position", position_}});
    // The queues and the position move together. A position moved past events that queued
    // nothing is not synced: lost in a crash, those events are filed again, to nobody again.
    database_.write(std::move(batch), !seqs.empty());
    std::lock_guard lock(destinations_mutex_);
    for (const auto& [name, seq] : seqs) next_seq_[name] = seq;
  }
}

asio::awaitable<void> TransactionSender::distribute() {
  while (!stopping_) {
    notified_ = false;
    std::set<std::string> touched;
    auto filing = [this] { return file_events(); };
    try {
      touched = co_await http::run_blocking(blocking_, filing);
    } catch (const std::exception& error) {
      spdlog::error("federation: filing events for other servers failed: {}", error.what());
    }
    for (const auto& name : touched) wake(name);
    if (notified_) continue;
    wake_.expires_after(std::chrono::hours(1));
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::optional<json::object> TransactionSender::prepare(const std::string& name) {
  if (auto pending = database_.get(Table::destination_state, txn_key(name))) return parse_stored_json(*pending).as_object();
  json::array pdus;
  std::uint64_t up_to = 0;
  bool any = false;
  auto prefix = storage::key_prefix({name});
  std::optional<std::uint64_t> first;
  {
    std::lock_guard lock(destinations_mutex_);
    if (auto known = first_unacknowledged_.find(name); known != first_unacknowledged_.end()) first = known->second;
  }
  auto start = first ? prefix + storage::be64(*first) : prefix;
  database_.scan_from(Table::destinationqueue_pdu, prefix, start, [&](std::string_view key, std::string_view event_id) {
    up_to = storage::read_be64(key.substr(prefix.size()));
    if (!any && !first) {
      std::lock_guard lock(destinations_mutex_);
      first_unacknowledged_.try_emplace(name, up_to);
    }
    pdus.push_back(json::string(event_id));
    any = true;
    return pdus.size() < options_.max_pdus;
  });
  if (!any) return std::nullopt;
  json::object txn{{"txn_id", std::to_string(now_ms()) + "." + std::to_string(up_to) + "." + std::to_string(++txn_counter_)},
                   {"up_to", up_to},
                   {"pdus", std::move(pdus)}};
  storage::WriteBatch batch;
  batch.put(Table::destination_state, txn_key(name), json::serialize(txn));
  // A retry, even after a restart, is this same transaction. Not synced: lost in a crash, the
  // same PDUs go again under another id, and the destination knows them by their event ids.
  database_.write(std::move(batch), false);
  return txn;
}

void TransactionSender::acknowledge(const std::string& name, std::uint64_t up_to) {
  storage::WriteBatch batch;
  auto prefix = storage::key_prefix({name});
  std::optional<std::uint64_t> first;
  {
    std::lock_guard lock(destinations_mutex_);
    if (auto known = first_unacknowledged_.find(name); known != first_unacknowledged_.end()) first = known->second;
  }
  auto start = first ? prefix + storage::be64(*first) : prefix;
  database_.scan_from(Table::destinationqueue_pdu, prefix, start, [&](std::string_view key, std::string_view) {
    if (storage::read_be64(key.substr(prefix.size())) > up_to) return false;
    batch.remove(Table::destinationqueue_pdu, key);
    return true;
  });
  batch.remove(Table::destination_state, txn_key(name));
  // Not synced: lost in a crash, the transaction is sent again and answered from the
  // destination's record of it.
  database_.write(std::move(batch), false);
  std::lock_guard lock(destinations_mutex_);
  first_unacknowledged_[name] = up_to + 1;
}

asio::awaitable<void> TransactionSender::deliver(Destination& destination) {
  auto retry = options_.first_retry;
  const std::string name = destination.name;
  while (!stopping_) {
    destination.notified = false;
    std::optional<json::object> txn;
    auto preparing = [&] { return prepare(name); };
    try {
      txn = co_await http::run_blocking(blocking_, preparing);
    } catch (const std::exception& error) {
      spdlog::error("federation to {}: reading its queue failed: {}", name, error.what());
    }
    json::array edus;
    {
      std::lock_guard lock(destination.edu_mutex);
      std::size_t bytes = 0;
      while (!destination.edus.empty() && edus.size() < options_.max_edus) {
        bytes += json::serialize(destination.edus.front()).size();
        if (bytes > kMaxEduBytes && !edus.empty()) break;  // the next transaction's
        edus.push_back(std::move(destination.edus.front()));
        destination.edus.pop_front();
      }
    }
    if (!txn && edus.empty()) {
      if (destination.notified) continue;
      destination.wake.expires_after(std::chrono::hours(1));
      boost::system::error_code ec;
      co_await destination.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    json::array pdus;
    std::string txn_id;
    std::uint64_t up_to = 0;
    if (txn) {
      txn_id = std::string(txn->at("txn_id").as_string());
      up_to = txn->at("up_to").to_number<std::uint64_t>();
      auto load = [&] {
        json::array loaded;
        for (const auto& id : txn->at("pdus").as_array())
          if (auto event = rooms_.get_event(id.as_string())) loaded.push_back(event->pdu);
        return loaded;
      };
      pdus = co_await http::run_blocking(blocking_, load);
    } else {
      // EDUs alone: a transaction of their own, never retried as another.
      txn_id = std::to_string(now_ms()) + ".edu." + std::to_string(++txn_counter_);
    }
    FederationRequest request;
    request.destination = name;
    request.method = boost::beast::http::verb::put;
    request.uri = "/_matrix/federation/v1/send/" + boost::urls::encode(txn_id, boost::urls::unreserved_chars);
    request.body = json::object{{"origin", server_name_},
                                {"origin_server_ts", now_ms()},
                                {"pdus", std::move(pdus)},
                                {"edus", std::move(edus)}};
    request.timeout = options_.request_timeout;
    while (!stopping_) {
      auto response = co_await client_.request(request);
      if (response.success()) {
        if (txn) {
          auto acknowledging = [&] { acknowledge(name, up_to); };
          co_await http::run_blocking(blocking_, acknowledging);
        }
        retry = options_.first_retry;
        break;
      }
      spdlog::warn("federation to {}: transaction {} not delivered ({}); retrying in {} ms", name, txn_id,
                   response.ok() ? "status " + std::to_string(response.status) : response.message, retry.count());
      if (response.ok() && response.status >= 400 && response.status < 500 && response.status != 429) {
        // The destination refuses this transaction for good (malformed, forbidden): drop it
        // rather than block everything behind it.
        if (txn) {
          auto dropping = [&] { acknowledge(name, up_to); };
          co_await http::run_blocking(blocking_, dropping);
        }
        break;
      }
      auto deadline = std::chrono::steady_clock::now() + retry;
      destination.backing_off = true;
      while (!stopping_ && !destination.came_back && std::chrono::steady_clock::now() < deadline) {
        destination.wake.expires_at(deadline);
        boost::system::error_code ec;
        co_await destination.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      destination.backing_off = false;
      retry = destination.came_back.exchange(false) ? options_.first_retry : std::min(retry * 2, options_.max_retry);
    }
  }
}

}  // namespace domovoy::federation
