#include "housing/process/outbox_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
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
      auto batch = store_.pending_replies(64);
      if (batch.empty()) break;
      for (const auto& message : batch) {
        if (!deliver(message)) {
          failed = true;
          break;
        }
        store_.reply_sent(message.seq);
      }
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
