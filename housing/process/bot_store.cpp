#include "housing/process/bot_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

BotStore::BotStore(storage::Database& database) : database_(database) {
  // Sequence numbers go on from the last reply ever staged (kept in meta, since a sent reply's
  // key is gone), so a transaction id is never reused.
  std::uint64_t next = 1;
  if (auto stored = database_.get(Table::meta, "housing_outbox_next")) next = storage::read_be64(*stored);
  next_seq_ = next;
}

bool BotStore::transaction_done(const std::string& txn_id) const {
  return database_.contains(Table::botdone_flag, storage::join_key({"txn", txn_id}));
}
bool BotStore::event_done(const std::string& event_id) const {
  return database_.contains(Table::botdone_flag, storage::join_key({"event", event_id}));
}
void BotStore::mark_transaction(storage::WriteBatch& batch, const std::string& txn_id) {
  batch.put(Table::botdone_flag, storage::join_key({"txn", txn_id}), "");
}
void BotStore::mark_event(storage::WriteBatch& batch, const std::string& event_id) {
  batch.put(Table::botdone_flag, storage::join_key({"event", event_id}), "");
}

void BotStore::stage_reply(storage::WriteBatch& batch, OutgoingMessage message) {
  message.seq = next_seq_.fetch_add(1);
  json::object record{{"bot", message.bot}, {"content", message.content}, {"type", message.type}};
  if (!message.room_id.empty()) record["room_id"] = message.room_id;
  if (!message.dm_with.empty()) record["dm_with"] = message.dm_with;
  batch.put(Table::botoutbox_message, storage::be64(message.seq), to_json(record));
  batch.put(Table::meta, "housing_outbox_next", storage::be64(message.seq + 1));
}

std::vector<OutgoingMessage> BotStore::pending_replies(std::size_t limit) const {
  std::vector<OutgoingMessage> pending;
  database_.scan_prefix(Table::botoutbox_message, "", [&](std::string_view key, std::string_view value) {
    auto record = parse_stored_json(value).as_object();
    OutgoingMessage message;
    message.seq = storage::read_be64(key);
    message.bot = optional_string(record, "bot").value_or("");
    message.room_id = optional_string(record, "room_id").value_or("");
    message.dm_with = optional_string(record, "dm_with").value_or("");
    message.type = optional_string(record, "type").value_or("m.room.message");
    if (const auto* content = optional_object(record, "content")) message.content = *content;
    pending.push_back(std::move(message));
    return pending.size() < limit;
  });
  return pending;
}

void BotStore::reply_sent(std::uint64_t seq) {
  storage::WriteBatch batch;
  batch.remove(Table::botoutbox_message, storage::be64(seq));
  database_.write(std::move(batch));
}

void BotStore::replies_sent(const std::vector<std::uint64_t>& seqs) {
  if (seqs.empty()) return;
  storage::WriteBatch batch;
  for (auto seq : seqs) batch.remove(Table::botoutbox_message, storage::be64(seq));
  database_.write(std::move(batch));
}

std::optional<std::string> BotStore::direct_room(const std::string& bot, const std::string& user) const {
  return database_.get(Table::botdm_roomid, storage::join_key({"dm", bot, user}));
}

std::optional<std::pair<std::string, std::string>> BotStore::direct_room_members(const std::string& room_id) const {
  auto stored = database_.get(Table::botdm_roomid, storage::join_key({"room", room_id}));
  if (!stored) return std::nullopt;
  auto separator = stored->find('\0');
  if (separator == std::string::npos) return std::nullopt;
  return std::pair{stored->substr(0, separator), stored->substr(separator + 1)};
}

void BotStore::stage_direct_room(storage::WriteBatch& batch, const std::string& bot, const std::string& user,
                                 const std::string& room_id) {
  batch.put(Table::botdm_roomid, storage::join_key({"dm", bot, user}), room_id);
  batch.put(Table::botdm_roomid, storage::join_key({"room", room_id}), storage::join_key({bot, user}));
}

std::optional<std::string> BotStore::setting(const std::string& user, const std::string& name) const {
  return database_.get(Table::usersetting_setting, storage::join_key({user, name}));
}
void BotStore::stage_setting(storage::WriteBatch& batch, const std::string& user, const std::string& name,
                             const std::string& value) {
  batch.put(Table::usersetting_setting, storage::join_key({user, name}), value);
}

bool BotStore::reminded(const std::string& user, const std::string& cause) const {
  return database_.contains(Table::reminder_flag, storage::join_key({user, cause}));
}
void BotStore::stage_reminded(storage::WriteBatch& batch, const std::string& user, const std::string& cause) {
  batch.put(Table::reminder_flag, storage::join_key({user, cause}), "");
}

std::uint64_t BotStore::next_number(storage::WriteBatch& batch, const std::string& counter) {
  // Callers hold the process's command lock, so read-increment-stage cannot interleave; the
  // mutex only keeps this object honest on its own.
  std::lock_guard lock(counters_mutex_);
  auto key = "housing_next_" + counter;
  std::uint64_t next = 1;
  if (auto stored = database_.get(Table::meta, key)) next = storage::read_be64(*stored);
  batch.put(Table::meta, key, storage::be64(next + 1));
  return next;
}

}  // namespace domovoy::housing
