#pragma once
// Every event the homeserver pushes to the housing appservice passes here, one transaction at a
// time: invitations of a bot (it joins and greets), messages in direct rooms (the room's bot
// answers, or the bot the command belongs to in its own room), commands said in a building's
// rooms (`@domovoy`, a member of all of them, takes them for the bot they belong to; personal
// answers go to a direct message, with a short public note), and encrypted messages a bot
// cannot read (it says so, in plain text).
//
// One command lock: commands are handled in the order the homeserver sent them, and each one's
// effects, replies and "handled" mark are one write (BotStore).
#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "housing/bots/bot.hpp"
#include "housing/process/bot_store.hpp"
#include "housing/process/homeserver_api.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

class BotDispatcher {
 public:
  BotDispatcher(BotStore& store, HousingDirectory& directory, HomeserverApi& api, std::string domovoy_user);

  void add_bot(std::unique_ptr<Bot> bot);
  // The bots that speak in owners' rooms and dispatchers' rooms (members there); @domovoy
  // speaks in the others.
  void set_room_speakers(std::string meetings_user, std::string repairs_user) {
    meetings_user_ = std::move(meetings_user);
    repairs_user_ = std::move(repairs_user);
  }
  Bot* bot_by_user(const std::string& user_id) const;
  Bot* bot_for(const Command& command) const;
  // Answers to polls (the meetings bot counts those of its meetings' polls).
  void on_poll_response(std::function<void(CommandContext&, const boost::json::object& content)> handler) {
    poll_handler_ = std::move(handler);
  }
  // Events the bots sent themselves, as the homeserver sends them back (a poll's event id).
  void on_own_event(std::function<void(const boost::json::object& event, storage::WriteBatch&)> handler) {
    own_event_handler_ = std::move(handler);
  }
  // Called after each write that staged replies.
  void on_replies(std::function<void()> listener) { on_replies_ = std::move(listener); }

  // Until the registry is read, transactions are refused (503) for the homeserver to send again.
  void set_ready() { ready_ = true; }

  // A transaction pushed by the homeserver; returns once its effects are durable. A transaction
  // id seen before does nothing.
  void handle_transaction(const std::string& txn_id, const boost::json::array& events);

  // Runs `work` under the command lock with a batch that is written afterwards (reminders,
  // scheduled escalations), so it never interleaves with a command.
  void run_exclusive(const std::function<void(storage::WriteBatch&, Conversation&)>& work);

  // The user's language: their setting, or the given default.
  Language language_for(const std::string& user_id, Language fallback) const;

 private:
  // Stages the event's effects, replies and mark into `batch`; returns the replies staged.
  std::size_t handle_event(const boost::json::object& event, storage::WriteBatch& batch);
  void prefetch_verifications(const boost::json::array& events);
  std::vector<ResidentVerification> verifications_of(const std::string& user_id);
  void on_invite(const std::string& bot, const std::string& room_id, const std::string& inviter, storage::WriteBatch& batch,
                 Conversation& out);
  void on_message(const boost::json::object& event, const std::string& type, const std::string& room_id,
                  const std::string& sender, storage::WriteBatch& batch, Conversation& out);
  bool handle_common(const Command& command, const std::string& sender, const std::string& bot, const std::string& room_id,
                     bool shared, storage::WriteBatch& batch, Conversation& out);
  std::string speaker_in(const RoomPlace& place) const;
  bool is_our_bot(const std::string& user_id) const { return bot_by_user(user_id) != nullptr; }

  BotStore& store_;
  HousingDirectory& directory_;
  HomeserverApi& api_;
  std::string domovoy_user_;
  std::string meetings_user_;
  std::string repairs_user_;
  std::vector<std::unique_ptr<Bot>> bots_;
  std::function<void()> on_replies_;
  std::function<void(CommandContext&, const boost::json::object&)> poll_handler_;
  std::function<void(const boost::json::object&, storage::WriteBatch&)> own_event_handler_;
  std::mutex command_mutex_;
  std::atomic<bool> ready_{false};
  std::map<std::string, std::vector<ResidentVerification>> prefetched_;  // this transaction's senders
};

}  // namespace domovoy::housing
