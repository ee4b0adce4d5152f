#pragma once
// Where each durable consumer of the event stream keeps how far it got (and whatever it has
// promised and not yet finished, such as an appservice transaction being retried), so that
// after a crash it resumes from there: nothing durable is skipped, nothing is done twice.
#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace domovoy {

namespace storage {
class Database;
class WriteBatch;
}  // namespace storage

class ConsumerStore {
 public:
  explicit ConsumerStore(storage::Database& database) : database_(database) {}

  // The consumer's saved record ({"position": N, ...}), or nullopt for a new consumer.
  std::optional<boost::json::object> load(const std::string& consumer) const;
  void save(const std::string& consumer, const boost::json::object& record);
  void save(storage::WriteBatch& batch, const std::string& consumer, const boost::json::object& record) const;

 private:
  storage::Database& database_;
};

}  // namespace domovoy
