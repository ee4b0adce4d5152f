#pragma once
// Other servers' signing keys as last fetched and checked (table servername_keys), with a copy
// in memory: every inbound request and every PDU needs its origin's key, and a read of RocksDB
// per signature would be the largest cost of a busy federation.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "federation/server_keys.hpp"
#include "storage/database.hpp"

namespace domovoy::federation {

class RemoteKeyStore {
 public:
  explicit RemoteKeyStore(storage::Database& database) : database_(database) {}

  std::optional<ServerKeys> find(const std::string& server_name) const;
  // usable_key() of the keys kept in memory, without copying them or reading the database.
  std::optional<std::string> cached_key(const std::string& server_name, std::string_view key_id, std::int64_t at_ms,
                                        bool enforce_valid_until) const;
  // Keeps `fetched` for its server, with the keys known before that it no longer lists kept as
  // old keys (expired when the fetch happened, at the latest when they stopped being valid), so
  // that what they signed before still verifies. Durable when it returns; blocks.
  ServerKeys store(const ServerKeys& fetched, std::int64_t fetched_at_ms);

 private:
  storage::Database& database_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, ServerKeys> cache_;
};

}  // namespace domovoy::federation
