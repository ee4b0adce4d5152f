#include "homeserver/sync/receipt_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
Receipt parse_receipt(std::string_view room_id, std::string_view type, std::string_view user_id, std::string_view text) {
  auto object = parse_stored_json(text).as_object();
  Receipt receipt{std::string(room_id), std::string(type), std::string(user_id),
                  std::string(object["event_id"].as_string()), object["ts"].to_number<std::int64_t>(),
                  std::string(object["thread_id"].as_string()), object["stream"].to_number<std::uint64_t>()};
  return receipt;
}
}  // namespace

std::uint64_t ReceiptStore::put(const Receipt& receipt, StreamTracker::Callback when_visible) {
  StreamTracker::Slot slot(stream_);
  storage::WriteBatch batch;
  batch.put(Table::roomreceipt_receipt, storage::join_key({receipt.room_id, receipt.type, receipt.user_id}),
            to_json(json::object{{"event_id", receipt.event_id},
                                 {"ts", receipt.ts},
                                 {"thread_id", receipt.thread_id},
                                 {"stream", slot.position()}}));
  batch.put(Table::streampos_kind, storage::be64(slot.position()), "receipt");
  database_.write(std::move(batch));
  slot.release(std::move(when_visible));
  return slot.position();
}

std::optional<Receipt> ReceiptStore::get(const std::string& room_id, const std::string& type,
                                         const std::string& user_id) const {
  auto stored = database_.get(Table::roomreceipt_receipt, storage::join_key({room_id, type, user_id}));
  if (!stored) return std::nullopt;
  return parse_receipt(room_id, type, user_id, *stored);
}

std::vector<Receipt> ReceiptStore::changed(const std::string& room_id, std::uint64_t after, std::uint64_t up_to) const {
  std::vector<Receipt> receipts;
  auto prefix = storage::key_prefix({room_id});
  database_.scan_prefix(Table::roomreceipt_receipt, prefix, [&](std::string_view key, std::string_view value) {
    auto rest = key.substr(prefix.size());
    auto separator = rest.find(storage::kKeySeparator);
    auto receipt = parse_receipt(room_id, rest.substr(0, separator), rest.substr(separator + 1), value);
    if (receipt.stream > after && receipt.stream <= up_to) receipts.push_back(std::move(receipt));
    return true;
  });
  return receipts;
}

}  // namespace domovoy
