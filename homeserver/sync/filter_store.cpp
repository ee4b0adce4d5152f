#include "homeserver/sync/filter_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {

std::uint64_t FilterStore::add(const std::string& user_id, const boost::json::object& filter) {
  std::lock_guard lock(allocation_mutex_);
  auto prefix = storage::key_prefix({user_id});
  std::uint64_t next = 0;
  database_.scan_reverse(storage::Table::userfilter_filter, prefix, "", [&](std::string_view key, std::string_view) {
    next = storage::read_be64(key.substr(prefix.size())) + 1;
    return false;
  });
  storage::WriteBatch batch;
  batch.put(storage::Table::userfilter_filter, prefix + storage::be64(next), to_json(filter));
  database_.write(std::move(batch));
  return next;
}

std::optional<boost::json::object> FilterStore::get(const std::string& user_id, std::uint64_t filter_id) const {
  auto stored = database_.get(storage::Table::userfilter_filter, storage::key_prefix({user_id}) + storage::be64(filter_id));
  if (!stored) return std::nullopt;
  return parse_stored_json(*stored).as_object();
}

}  // namespace domovoy
