#pragma once
// What the housing process remembers about its own conversation with the homeserver, in its own
// database: which transactions and commands it has handled, the replies it has still to send
// (the outbox), the direct room of each bot with each resident, and users' settings.
//
// Exactly once: a command's effects, its replies and the mark that its event was handled are
// staged into one WriteBatch and written together. A replay of the transaction (the homeserver
// retrying after a crash here) finds the mark and does nothing; a reply left in the outbox by a
// crash is sent again under the same transaction id, which the homeserver deduplicates.
#include <boost/json.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.hpp"

namespace domovoy::housing {

struct OutgoingMessage {
  std::uint64_t seq = 0;  // set when staged: the order of sending and the transaction id
  std::string bot;        // the user it is sent as
  std::string room_id;    // where, or empty with dm_with
  std::string dm_with;    // the user whose direct room with `bot` it goes to (made if missing)
  std::string type = "m.room.message";  // or a poll's start
  boost::json::object content;
};

class BotStore {
 public:
  explicit BotStore(storage::Database& database);

  storage::Database& database() { return database_; }

  bool transaction_done(const std::string& txn_id) const;
  bool event_done(const std::string& event_id) const;
  static void mark_transaction(storage::WriteBatch& batch, const std::string& txn_id);
  static void mark_event(storage::WriteBatch& batch, const std::string& event_id);

  // Gives the message its sequence number and stages it.
  void stage_reply(storage::WriteBatch& batch, OutgoingMessage message);
  std::vector<OutgoingMessage> pending_replies(std::size_t limit) const;
  void reply_sent(std::uint64_t seq);
  void replies_sent(const std::vector<std::uint64_t>& seqs);  // one write

  // Direct rooms: both directions are kept ("dm" bot user, and "room" room id).
  std::optional<std::string> direct_room(const std::string& bot, const std::string& user) const;
  std::optional<std::pair<std::string, std::string>> direct_room_members(const std::string& room_id) const;  // bot, user
  static void stage_direct_room(storage::WriteBatch& batch, const std::string& bot, const std::string& user,
                                const std::string& room_id);

  std::optional<std::string> setting(const std::string& user, const std::string& name) const;
  static void stage_setting(storage::WriteBatch& batch, const std::string& user, const std::string& name,
                            const std::string& value);

  // Reminders: whether `cause` was already told to `user`.
  bool reminded(const std::string& user, const std::string& cause) const;
  static void stage_reminded(storage::WriteBatch& batch, const std::string& user, const std::string& cause);

  // Numbers of requests and meetings ("№ N"), counted from 1, staged with what they number.
  std::uint64_t next_number(storage::WriteBatch& batch, const std::string& counter);

 private:
  storage::Database& database_;
  std::atomic<std::uint64_t> next_seq_{1};
  std::mutex counters_mutex_;
};

}  // namespace domovoy::housing
