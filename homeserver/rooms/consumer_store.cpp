#include "homeserver/rooms/consumer_store.hpp"

#include "homeserver/core/json.hpp"
#include "storage/database.hpp"

namespace domovoy {

std::optional<boost::json::object> ConsumerStore::load(const std::string& consumer) const {
  auto stored = database_.get(storage::Table::consumer_position, consumer);
  if (!stored) return std::nullopt;
  return parse_stored_json(*stored).as_object();
}

void ConsumerStore::save(storage::WriteBatch& batch, const std::string& consumer,
                         const boost::json::object& record) const {
  batch.put(storage::Table::consumer_position, consumer, to_json(record));
}

void ConsumerStore::save(const std::string& consumer, const boost::json::object& record) {
  storage::WriteBatch batch;
  save(batch, consumer, record);
  database_.write(std::move(batch));
}

}  // namespace domovoy
