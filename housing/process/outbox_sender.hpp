#pragma once
// Sends the replies of the outbox (BotStore) to the homeserver, in order, on a thread of its
// own. Each is sent with the transaction id `housing-<seq>`, so a reply sent just before a crash
// and sent again after it is one message (the homeserver deduplicates per user and txnId). A
// reply to a user's direct room makes the room first when the bot has none with them.
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "housing/process/bot_store.hpp"
#include "housing/process/homeserver_api.hpp"

namespace domovoy::housing {

class OutboxSender {
 public:
  OutboxSender(BotStore& store, HomeserverApi& api);
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  void start();
  void notify();  // new replies were written
  void stop();

 private:
  void run();
  // true: done with it (sent, or refused for good); false: try again later.
  bool deliver(const OutgoingMessage& message);
  // Sends a batch, rooms side by side; false when one could not be sent yet (the rest of its
  // room waits for the next round).
  bool deliver_all(const std::vector<OutgoingMessage>& batch);
  std::optional<std::string> room_for(const OutgoingMessage& message);

  BotStore& store_;
  HomeserverApi& api_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool pending_ = true;
  std::thread thread_;
};

}  // namespace domovoy::housing
