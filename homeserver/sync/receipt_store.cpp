#include "homeserver/sync/receipt_store.hpp"

#include <functional>

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
constexpr std::string_view kIndexBuiltKey = "receipts.stream_index";

Receipt parse_receipt(std::string_view room_id, std::string_view type, std::string_view user_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  Receipt receipt{std::string(room_id), std::string(type), std::string(user_id),
                  std::string(object["event_id"].as_string()), object["ts"].to_number<std::int64_t>(),
                  std::string(object["thread_id"].as_string()), object["stream"].to_number<std::uint64_t>()};
  return receipt;
}

std::string receipt_value(const Receipt& receipt) {
  return to_json(json::object{{"event_id", receipt.event_id},
                              {"ts", receipt.ts},
                              {"thread_id", receipt.thread_id},
                              {"stream", receipt.stream}});
}

// The index entry carries the whole receipt, so a changed() scan needs no second read.
std::string index_value(const Receipt& receipt) {
  return to_json(json::object{{"type", receipt.type},
                              {"user_id", receipt.user_id},
                              {"event_id", receipt.event_id},
                              {"ts", receipt.ts},
                              {"thread_id", receipt.thread_id}});
}

std::string receipt_key(std::string_view room_id, std::string_view type, std::string_view user_id,
                        std::string_view thread_id) {
  if (thread_id.empty()) return storage::join_key({room_id, type, user_id});
  return storage::join_key({room_id, type, user_id, thread_id});
}

std::string index_key(std::string_view room_id, std::uint64_t position) {
  return storage::key_prefix({room_id}) + storage::be64(position);
}
}  // namespace

ReceiptStore::ReceiptStore(storage::Database& database, StreamTracker& stream) : database_(database), stream_(stream) {
  if (!database_.contains(Table::meta, kIndexBuiltKey)) build_stream_index();
}

void ReceiptStore::build_stream_index() {
  storage::WriteBatch batch;
  database_.scan_prefix(Table::roomreceipt_receipt, "", [&](std::string_view key, std::string_view value) {
    auto first = key.find(storage::kKeySeparator);
    auto second = key.find(storage::kKeySeparator, first + 1);
    auto user_end = key.find(storage::kKeySeparator, second + 1);  // a threaded receipt's key goes on
    auto user = key.substr(second + 1, user_end == std::string_view::npos ? std::string_view::npos : user_end - second - 1);
    auto receipt = parse_receipt(key.substr(0, first), key.substr(first + 1, second - first - 1), user, value);
    batch.put(Table::roomstream_receipt, index_key(receipt.room_id, receipt.stream), index_value(receipt));
    return true;
  });
  batch.put(Table::meta, kIndexBuiltKey, "1");
  database_.write(std::move(batch));
}

std::uint64_t ReceiptStore::put(const Receipt& given, StreamTracker::Callback when_visible) {
  auto key = receipt_key(given.room_id, given.type, given.user_id, given.thread_id);
  std::lock_guard key_lock(key_mutexes_[std::hash<std::string>{}(key) % key_mutexes_.size()]);
  auto previous = get(given.room_id, given.type, given.user_id, given.thread_id);
  StreamTracker::Slot slot(stream_);
  Receipt receipt = given;
  receipt.stream = slot.position();
  storage::WriteBatch batch;
  batch.put(Table::roomreceipt_receipt, key, receipt_value(receipt));
  if (previous) batch.remove(Table::roomstream_receipt, index_key(receipt.room_id, previous->stream));
  batch.put(Table::roomstream_receipt, index_key(receipt.room_id, receipt.stream), index_value(receipt));
  batch.put(Table::streampos_kind, storage::be64(receipt.stream), "receipt");
  database_.write(std::move(batch));
  latest_.note(receipt.room_id, receipt.stream);  // before the position becomes visible
  slot.release(std::move(when_visible));
  return receipt.stream;
}

std::optional<Receipt> ReceiptStore::get(const std::string& room_id, const std::string& type,
                                         const std::string& user_id, const std::string& thread_id) const {
  auto stored = database_.get(Table::roomreceipt_receipt, receipt_key(room_id, type, user_id, thread_id));
  if (!stored) return std::nullopt;
  return parse_receipt(room_id, type, user_id, *stored);
}

std::vector<Receipt> ReceiptStore::of_user(const std::string& room_id, const std::string& type,
                                           const std::string& user_id) const {
  std::vector<Receipt> receipts;
  if (auto unthreaded = get(room_id, type, user_id)) receipts.push_back(std::move(*unthreaded));
  database_.scan_prefix(Table::roomreceipt_receipt, storage::key_prefix({room_id, type, user_id}),
                        [&](std::string_view, std::string_view value) {
                          receipts.push_back(parse_receipt(room_id, type, user_id, value));
                          return true;
                        });
  return receipts;
}

std::uint64_t ReceiptStore::latest(const std::string& room_id) const {
  if (auto known = latest_.find(room_id)) return *known;
  std::uint64_t newest = 0;
  auto prefix = storage::key_prefix({room_id});
  database_.scan_reverse(Table::roomstream_receipt, prefix, "", [&](std::string_view key, std::string_view) {
    newest = storage::read_be64(key.substr(prefix.size()));
    return false;
  });
  latest_.note(room_id, newest);
  return newest;
}

std::vector<Receipt> ReceiptStore::changed(const std::string& room_id, std::uint64_t after, std::uint64_t up_to) const {
  std::vector<Receipt> receipts;
  if (up_to <= after || latest(room_id) <= after) return receipts;
  auto prefix = storage::key_prefix({room_id});
  database_.scan_from(Table::roomstream_receipt, prefix, index_key(room_id, after + 1),
                      [&](std::string_view key, std::string_view value) {
                        auto position = storage::read_be64(key.substr(prefix.size()));
                        if (position > up_to) return false;
                        auto object = parse_stored_json(value).as_object();
                        receipts.push_back(Receipt{room_id, std::string(object["type"].as_string()),
                                                   std::string(object["user_id"].as_string()),
                                                   std::string(object["event_id"].as_string()),
                                                   object["ts"].to_number<std::int64_t>(),
                                                   std::string(object["thread_id"].as_string()), position});
                        return true;
                      });
  return receipts;
}

}  // namespace domovoy
