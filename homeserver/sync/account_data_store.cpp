#include "homeserver/sync/account_data_store.hpp"

#include <functional>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

using storage::Table;

namespace {
constexpr std::string_view kIndexBuiltKey = "account_data.stream_index";

std::string index_key(std::string_view user_id, std::uint64_t position) {
  return storage::key_prefix({user_id}) + storage::be64(position);
}
}  // namespace

AccountDataStore::AccountDataStore(storage::Database& database, StreamTracker& stream, AccountDataLimits limits)
    : database_(database), stream_(stream), limits_(limits) {
  if (!database_.contains(Table::meta, kIndexBuiltKey)) build_stream_index();
}

void AccountDataStore::build_stream_index() {
  storage::WriteBatch batch;
  database_.scan_prefix(Table::useraccountdata_data, "", [&](std::string_view key, std::string_view value) {
    auto separator = key.find(storage::kKeySeparator);
    auto position = parse_stored_json(value).as_object()["stream"].to_number<std::uint64_t>();
    batch.put(Table::userstream_accountdata, index_key(key.substr(0, separator), position), key.substr(separator + 1));
    return true;
  });
  batch.put(Table::meta, kIndexBuiltKey, "1");
  database_.write(std::move(batch));
}

std::uint64_t AccountDataStore::put(const std::string& user_id, const std::string& room_id, const std::string& type,
                                    const json::object& content, StreamTracker::Callback when_visible) {
  auto key = storage::join_key({user_id, room_id, type});
  auto value_of = [&](std::uint64_t position) {
    return to_json(json::object{{"stream", position}, {"content", content}});
  };
  std::lock_guard user_lock(user_mutexes_[std::hash<std::string>{}(user_id) % user_mutexes_.size()]);
  // The user's totals without parsing: sizes of the stored records, bounded by the limits.
  std::size_t entries = 0, bytes = 0;
  std::optional<std::uint64_t> previous_position;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_prefix(Table::useraccountdata_data, prefix, [&](std::string_view stored_key, std::string_view value) {
    if (stored_key == key) {
      previous_position = parse_stored_json(value).as_object()["stream"].to_number<std::uint64_t>();
      return true;
    }
    ++entries;
    bytes += value.size();
    return true;
  });
  auto new_size = value_of(0).size();
  if (entries + 1 > limits_.max_entries)
    throw ApiError(400, "M_TOO_LARGE", "Too many account data entries (limit " + std::to_string(limits_.max_entries) + ")");
  if (bytes + new_size > limits_.max_total_bytes)
    throw ApiError(400, "M_TOO_LARGE", "Account data is too large in total");

  StreamTracker::Slot slot(stream_);
  storage::WriteBatch batch;
  batch.put(Table::useraccountdata_data, key, value_of(slot.position()));
  if (previous_position) batch.remove(Table::userstream_accountdata, index_key(user_id, *previous_position));
  batch.put(Table::userstream_accountdata, index_key(user_id, slot.position()), storage::join_key({room_id, type}));
  batch.put(Table::streampos_kind, storage::be64(slot.position()), "account_data");
  database_.write(std::move(batch));
  latest_.note(user_id, slot.position());  // before the position becomes visible
  slot.release(std::move(when_visible));
  return slot.position();
}

std::optional<json::object> AccountDataStore::get(const std::string& user_id, const std::string& room_id,
                                                  const std::string& type) const {
  auto stored = database_.get(Table::useraccountdata_data, storage::join_key({user_id, room_id, type}));
  if (!stored) return std::nullopt;
  return parse_stored_json(*stored).as_object()["content"].as_object();
}

std::uint64_t AccountDataStore::latest(const std::string& user_id) const {
  if (auto known = latest_.find(user_id)) return *known;
  std::uint64_t newest = 0;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_reverse(Table::userstream_accountdata, prefix, "", [&](std::string_view key, std::string_view) {
    newest = storage::read_be64(key.substr(prefix.size()));
    return false;
  });
  latest_.note(user_id, newest);
  return newest;
}

std::optional<AccountDataItem> AccountDataStore::read_item(const std::string& user_id,
                                                           std::string_view room_and_type) const {
  auto stored = database_.get(Table::useraccountdata_data, storage::key_prefix({user_id}) + std::string(room_and_type));
  if (!stored) return std::nullopt;
  auto separator = room_and_type.find(storage::kKeySeparator);
  auto record = parse_stored_json(*stored).as_object();
  return AccountDataItem{std::string(room_and_type.substr(0, separator)),
                         std::string(room_and_type.substr(separator + 1)), record["content"].as_object(),
                         record["stream"].to_number<std::uint64_t>()};
}

std::vector<AccountDataItem> AccountDataStore::changed(const std::string& user_id, std::uint64_t after,
                                                       std::uint64_t up_to) const {
  std::vector<AccountDataItem> items;
  if (up_to <= after || latest(user_id) <= after) return items;
  auto prefix = storage::key_prefix({user_id});
  database_.scan_from(Table::userstream_accountdata, prefix, index_key(user_id, after + 1),
                      [&](std::string_view key, std::string_view room_and_type) {
                        if (storage::read_be64(key.substr(prefix.size())) > up_to) return false;
                        if (auto item = read_item(user_id, room_and_type)) items.push_back(std::move(*item));
                        return true;
                      });
  return items;
}

std::vector<AccountDataItem> AccountDataStore::of_room(const std::string& user_id, const std::string& room_id,
                                                       std::uint64_t up_to) const {
  std::vector<AccountDataItem> items;
  auto prefix = storage::key_prefix({user_id, room_id});
  database_.scan_prefix(Table::useraccountdata_data, prefix, [&](std::string_view key, std::string_view value) {
    auto record = parse_stored_json(value).as_object();
    auto position = record["stream"].to_number<std::uint64_t>();
    if (position <= up_to)
      items.push_back({room_id, std::string(key.substr(prefix.size())), record["content"].as_object(), position});
    return true;
  });
  return items;
}

}  // namespace domovoy
