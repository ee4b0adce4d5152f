#pragma once
// Finds the key that verifies another server's signature: from the remote key store while it
// is valid, otherwise fetched from that server (GET /_matrix/key/v2/server), checked, and kept;
// when the server cannot be reached or lacks the key, asked of the trusted notaries
// (`federation.trusted_key_servers`, POST /_matrix/key/v2/query), whose answer must carry both
// the notary's signature and the server's own. A server whose keys cannot be had, or lack the
// key asked for, is asked again only after a minute, so a flood of requests naming unknown keys
// cannot make this server flood another.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "federation/federation_client.hpp"
#include "federation/remote_key_store.hpp"
#include "homeserver/events/server_identity.hpp"

namespace domovoy::federation {

class KeyFetcher {
 public:
  static constexpr std::int64_t kRefetchAfterFailureMs = 60'000;

  KeyFetcher(FederationClient& client, RemoteKeyStore& store, boost::asio::thread_pool& blocking_pool,
             const ServerIdentity& identity, std::vector<std::string> notaries = {});

  // The public key (unpadded Base64) `key_id` of `server_name` that may verify a signature made
  // at `at_ms`; nullopt when there is none to be had.
  boost::asio::awaitable<std::optional<std::string>> key_for(std::string server_name, std::string key_id,
                                                             std::int64_t at_ms, bool enforce_valid_until = true);

  // What this server answers as a notary for `server_name` (keys_query.yaml): the server's key
  // responses as it signed them, fetched again when what is kept is not valid until
  // `minimum_valid_until_ts` (kept ones are still given when the server cannot be reached), and
  // signed here too. Empty when none are to be had.
  boost::asio::awaitable<std::vector<boost::json::object>> notarised_keys(std::string server_name,
                                                                          std::int64_t minimum_valid_until_ts);

 private:
  // `via_notaries`: whether the trusted notaries may be asked when the server itself fails (not
  // while asking for a notary's own keys).
  boost::asio::awaitable<std::optional<std::string>> find_key(std::string server_name, std::string key_id,
                                                              std::int64_t at_ms, bool enforce_valid_until,
                                                              bool via_notaries);
  boost::asio::awaitable<std::optional<ServerKeys>> fetch(const std::string& server_name);
  boost::asio::awaitable<std::optional<ServerKeys>> fetch_from_notary(const std::string& notary,
                                                                      const std::string& server_name,
                                                                      const std::string& key_id);
  boost::asio::awaitable<ServerKeys> keep(ServerKeys keys, std::int64_t fetched_at);
  // Whether `server_name` may be asked now (not asked in the last minute); marks it asked.
  bool may_ask(const std::string& server_name, std::int64_t now);

  FederationClient& client_;
  RemoteKeyStore& store_;
  boost::asio::thread_pool& blocking_pool_;
  const ServerIdentity& identity_;
  std::vector<std::string> notaries_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t> last_attempt_;  // server name -> when its keys were last fetched
  std::set<std::string> fetching_;                    // servers whose keys are being fetched now
  // may_ask, and marks the server's keys as being fetched (find_key's guard unmarks them).
  bool begin_fetch(const std::string& server_name, std::int64_t now);
  bool is_fetching(const std::string& server_name);
};

}  // namespace domovoy::federation
