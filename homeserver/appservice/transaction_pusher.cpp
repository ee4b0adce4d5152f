#include "homeserver/appservice/transaction_pusher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/client/event_format.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy::appservice {

namespace asio = boost::asio;
namespace json = boost::json;

TransactionPusher::TransactionPusher(asio::io_context& io, asio::thread_pool& blocking, http::HttpClient& client,
                                     const AppserviceRegistry& registry, const Registration& registration,
                                     const EventStream& stream, ConsumerStore& consumers, RoomEngine& rooms,
                                     const RoomDirectory& directory, PusherOptions options)
    : io_(io),
      blocking_(blocking),
      client_(client),
      registry_(registry),
      registration_(registration),
      stream_(stream),
      consumers_(consumers),
      rooms_(rooms),
      directory_(directory),
      options_(options),
      strand_(asio::make_strand(io)),
      wake_(strand_) {
  // Where a new appservice starts: now (it receives what happens from its registration on).
  auto record = consumers_.load(consumer_name());
  if (!record) {
    position_ = stream_.visible();
    save();
    return;
  }
  position_ = record->at("position").to_number<std::uint64_t>();
  if (const auto* next = record->if_contains("next_txn")) next_txn_ = next->to_number<std::uint64_t>();
  if (const auto* pending = record->if_contains("pending"); pending && pending->is_object()) {
    Pending restored;
    restored.txn_id = pending->at("txn_id").to_number<std::uint64_t>();
    restored.up_to = pending->at("up_to").to_number<std::uint64_t>();
    for (const auto& id : pending->at("events").as_array()) restored.event_ids.emplace_back(id.as_string());
    pending_ = std::move(restored);
  }
}

void TransactionPusher::save() const {
  json::object record{{"position", position_}, {"next_txn", next_txn_}};
  if (pending_) {
    json::array events;
    for (const auto& id : pending_->event_ids) events.push_back(json::string(id));
    record["pending"] = json::object{{"txn_id", pending_->txn_id}, {"up_to", pending_->up_to}, {"events", std::move(events)}};
  }
  consumers_.save(consumer_name(), record);
}

void TransactionPusher::start() {
  if (!registration_.url) return;  // an appservice without a url receives nothing
  asio::co_spawn(strand_, run(), asio::detached);
}

void TransactionPusher::notify() {
  notified_ = true;
  asio::post(strand_, [this] { wake_.cancel(); });
}

void TransactionPusher::stop() {
  stopping_ = true;
  asio::post(strand_, [this] { wake_.cancel(); });
}

void TransactionPusher::push_ephemeral(json::object edu, const std::string& room_id) {
  if (!registration_.receive_ephemeral || !registration_.url) return;
  if (!room_id.empty() && !room_has_interest(room_id)) return;
  enqueue_ephemeral(std::move(edu));
}

void TransactionPusher::push_presence(json::object edu, const std::vector<std::string>& room_mates) {
  if (!registration_.receive_ephemeral || !registration_.url) return;
  bool shares_a_room = std::any_of(room_mates.begin(), room_mates.end(), [this](const std::string& user) {
    return registry_.is_interested_user(registration_, user);
  });
  if (shares_a_room) enqueue_ephemeral(std::move(edu));
}

void TransactionPusher::enqueue_ephemeral(json::object edu) {
  {
    std::lock_guard lock(ephemeral_mutex_);
    if (ephemeral_.size() >= options_.max_ephemeral_queued) ephemeral_.pop_front();
    ephemeral_.push_back(std::move(edu));
  }
  notify();
}

bool TransactionPusher::room_has_interest(const std::string& room_id) {
  if (registry_.is_interested_room(registration_, room_id)) return true;
  for (const auto& alias : directory_.aliases_of(room_id))
    if (registry_.is_interested_alias(registration_, alias)) return true;
  for (const auto& member : rooms_.joined_members(room_id))
    if (registry_.is_interested_user(registration_, member)) return true;
  return false;
}

bool TransactionPusher::is_interested(const Event& event, std::unordered_map<std::string, bool>& room_interest) {
  if (registry_.is_interested_user(registration_, event.sender)) return true;
  if (event.state_key && registry_.is_interested_user(registration_, *event.state_key)) return true;
  auto [it, inserted] = room_interest.try_emplace(event.room_id, false);
  if (inserted) it->second = room_has_interest(event.room_id);
  return it->second;
}

bool TransactionPusher::prepare_next() {
  if (pending_) return true;
  std::unordered_map<std::string, bool> room_interest;
  while (true) {
    auto entries = stream_.read_after(position_, options_.max_events_per_transaction);
    if (entries.empty()) return false;
    Pending next;
    for (const auto& entry : entries) {
      auto event = rooms_.get_event(entry.event_id);
      if (event && is_interested(*event, room_interest)) next.event_ids.push_back(entry.event_id);
      // A membership change may turn the room's interest on or off for what follows.
      if (event && event->type == "m.room.member") room_interest.erase(event->room_id);
    }
    next.up_to = entries.back().position;
    if (next.event_ids.empty()) {
      position_ = next.up_to;  // nothing for this appservice in this stretch
      save();
      continue;
    }
    next.txn_id = next_txn_++;
    pending_ = std::move(next);
    save();  // durable before the first attempt: retries send the same transaction
    return true;
  }
}

std::string TransactionPusher::transaction_body(std::vector<json::object>& ephemeral) {
  json::array events;
  if (pending_)
    for (const auto& id : pending_->event_ids)
      if (auto event = rooms_.get_event(id)) events.push_back(client_event(rooms_, *event));
  json::array edus;
  for (auto& edu : ephemeral) edus.push_back(std::move(edu));
  json::object body{{"events", std::move(events)}};
  if (!edus.empty()) {
    body["ephemeral"] = edus;
    body["de.sorunome.msc2409.ephemeral"] = std::move(edus);
  }
  return to_json(body);
}

void TransactionPusher::acknowledge() {
  if (pending_) {
    position_ = pending_->up_to;
    pending_.reset();
  }
  save();
}

asio::awaitable<void> TransactionPusher::run() {
  auto retry = options_.first_retry;
  while (!stopping_) {
    notified_ = false;
    auto prepare = [this] { return prepare_next(); };
    bool have_events = false;
    try {
      have_events = co_await http::run_blocking(blocking_, prepare);
    } catch (const std::exception& error) {
      spdlog::error("appservice {}: reading the stream failed: {}", registration_.id, error.what());
    }
    std::vector<json::object> ephemeral;
    {
      std::lock_guard lock(ephemeral_mutex_);
      while (!ephemeral_.empty()) {
        ephemeral.push_back(std::move(ephemeral_.front()));
        ephemeral_.pop_front();
      }
    }
    if (!have_events && ephemeral.empty()) {
      if (notified_) continue;
      wake_.expires_after(std::chrono::hours(1));
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // A transaction of ephemeral events only gets an id of its own, never reused.
    std::uint64_t txn_id = 0;
    auto build = [&]() -> std::string {
      if (pending_) txn_id = pending_->txn_id;
      else {
        txn_id = next_txn_++;
        save();
      }
      return transaction_body(ephemeral);
    };
    auto body = co_await http::run_blocking(blocking_, build);
    while (!stopping_) {
      http::ClientRequest request;
      request.method = boost::beast::http::verb::put;
      request.url = *registration_.url + "/_matrix/app/v1/transactions/" + std::to_string(txn_id);
      request.headers = {{"Authorization", "Bearer " + registration_.hs_token}, {"Content-Type", "application/json"}};
      request.body = body;
      request.timeout = options_.request_timeout;
      auto response = co_await client_.request(request);
      // A 2xx whose body is not a JSON object is an appservice answering garbage: not delivered
      // (Synapse reads the answer as JSON the same way).
      bool answered = response.success();
      if (answered) {
        try {
          answered = parse_untrusted_json(response.body.empty() ? "{}" : response.body).is_object();
        } catch (const std::exception&) {
          answered = false;
        }
      }
      if (answered) {
        auto acknowledged = [this] { acknowledge(); };
        co_await http::run_blocking(blocking_, acknowledged);
        retry = options_.first_retry;
        break;
      }
      spdlog::warn("appservice {}: transaction {} not delivered ({}); retrying in {} ms", registration_.id, txn_id,
                   !response.ok()        ? response.message
                   : response.success() ? std::string("an answer that is not a JSON object")
                                        : "status " + std::to_string(response.status),
                   retry.count());
      // A new event does not cut the back-off short; only the deadline or stop() ends the wait.
      auto deadline = std::chrono::steady_clock::now() + retry;
      while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
        wake_.expires_at(deadline);
        boost::system::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      retry = std::min(retry * 2, options_.max_retry);
    }
  }
}

}  // namespace domovoy::appservice
