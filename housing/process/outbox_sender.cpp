#include "housing/process/outbox_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <chrono>

namespace domovoy::housing {

using namespace std::chrono_literals;

OutboxSender::OutboxSender(BotStore& store, HomeserverApi& api) : store_(store), api_(api) {}

OutboxSender::~OutboxSender() { stop(); }

void OutboxSender::start() { thread_ = std::thread([this] { run(); }); }

void OutboxSender::notify() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_one();
}

void OutboxSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OutboxSender::run() {
  auto backoff = 200ms;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      pending_ = false;
    }
    bool failed = false;
    while (!failed) {
      auto batch = store_.pending_replies(512);
      if (batch.empty()) break;
      auto started = std::chrono::steady_clock::now();
      failed = !deliver_all(batch);
      spdlog::debug("housing outbox: {} replies in {} ms", batch.size(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    }
    if (failed) {
      // The homeserver is down or busy: wait (waking early for a stop), then go on.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, backoff, [this] { return stopping_; });
      if (stopping_) return;
      pending_ = true;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 10s);
    } else {
      backoff = 200ms;
    }
  }
}

bool OutboxSender::deliver_all(const std::vector<OutgoingMessage>& batch) {
  // Replies to one room keep their order; different rooms are sent side by side, so a hundred
  // residents answered at once wait for one round of the homeserver's group commit rather than
  // a hundred.
  std::map<std::string, std::vector<const OutgoingMessage*>> by_room;
  std::vector<std::string> order;
  for (const auto& message : batch) {
    auto key = message.room_id.empty() ? "dm\n" + message.bot + "\n" + message.dm_with : message.room_id;
    if (!by_room.count(key)) order.push_back(key);
    by_room[key].push_back(&message);
  }
  std::mutex done_mutex;
  std::vector<std::uint64_t> sent;
  std::atomic<bool> failed{false};
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    while (!failed) {
      auto index = next++;
      if (index >= order.size()) return;
      for (const auto* message : by_room[order[index]]) {
        if (!deliver(*message)) {
          failed = true;
          break;
        }
        std::lock_guard lock(done_mutex);
        sent.push_back(message->seq);
      }
    }
  };
  constexpr std::size_t kSenders = 16;
  std::vector<std::thread> senders;
  for (std::size_t i = 1; i < std::min(kSenders, order.size()); ++i) senders.emplace_back(worker);
  worker();
  for (auto& sender : senders) sender.join();
  // One write forgets every reply sent; a crash before it sends them again under the same
  // transaction ids, which the homeserver answers without a second message.
  store_.replies_sent(sent);
  return !failed;
}

std::optional<std::string> OutboxSender::room_for(const OutgoingMessage& message) {
  if (!message.room_id.empty()) return message.room_id;
  if (auto known = store_.direct_room(message.bot, message.dm_with)) return known;
  auto made = api_.create_direct_room(message.bot, message.dm_with, {});
  if (!made) return std::nullopt;
  storage::WriteBatch batch;
  BotStore::stage_direct_room(batch, message.bot, message.dm_with, *made);
  store_.database().write(std::move(batch));
  return made;
}

bool OutboxSender::deliver(const OutgoingMessage& message) {
  auto room = room_for(message);
  if (!room) {
    spdlog::warn("housing outbox: no direct room for reply {} yet; will retry", message.seq);
    return false;
  }
  auto answer = api_.send_message(message.bot, *room, "housing-" + std::to_string(message.seq), message.content, message.type);
  if (answer.ok()) return true;
  if (answer.status == 0 || answer.status >= 500 || answer.status == 429) {
    spdlog::warn("housing outbox: reply {} not delivered ({}); will retry", message.seq,
                 answer.status ? std::to_string(answer.status) : answer.transport_error);
    return false;
  }
  // 4xx: the bot may not post there (the resident left, the room is gone). Sending again would
  // not change that; the reply is dropped and the reason logged.
  spdlog::warn("housing outbox: reply {} refused by the homeserver ({} {}); dropped", message.seq, answer.status,
               answer.errcode());
  return true;
}

}  // namespace domovoy::housing
