#include "homeserver/sync/account_data_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

std::uint64_t AccountDataStore::put(const std::string& user_id, const std::string& room_id, const std::string& type,
                                    const json::object& content, StreamTracker::Callback when_visible) {
  StreamTracker::Slot slot(stream_);
  storage::WriteBatch batch;
  batch.put(Table::useraccountdata_data, storage::join_key({user_id, room_id, type}),
            to_json(json::object{{"stream", slot.position()}, {"content", content}}));
  batch.put(Table::streampos_kind, storage::be64(slot.position()), "account_data");
  database_.write(std::move(batch));
  slot.release(std::move(when_visible));
  return slot.position();
}

std::optional<json::object> AccountDataStore::get(const std::string& user_id, const std::string& room_id,
                                                  const std::string& type) const {
  auto stored = database_.get(Table::useraccountdata_data, storage::join_key({user_id, room_id, type}));
  if (!stored) return std::nullopt;
  return parse_stored_json(*stored).as_object()["content"].as_object();
}

std::vector<AccountDataItem> AccountDataStore::changed(const std::string& user_id, std::uint64_t after,
                                                       std::uint64_t up_to) const {
  std::vector<AccountDataItem> items;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_prefix(Table::useraccountdata_data, prefix, [&](std::string_view key, std::string_view value) {
    auto rest = key.substr(prefix.size());
    auto separator = rest.find(storage::kKeySeparator);
    auto record = parse_stored_json(value).as_object();
    auto position = record["stream"].to_number<std::uint64_t>();
    if (position > after && position <= up_to)
      items.push_back({std::string(rest.substr(0, separator)), std::string(rest.substr(separator + 1)),
                       record["content"].as_object(), position});
    return true;
  });
  return items;
}

}  // namespace domovoy
