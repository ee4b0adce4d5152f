#pragma once
// Finds the key that verifies another server's signature: from the remote key store while it
// is valid, otherwise fetched from that server (GET /_matrix/key/v2/server), checked, and kept.
// A server whose keys cannot be had, or lack the key asked for, is asked again only after a
// minute, so a flood of requests naming unknown keys cannot make this server flood another.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "federation/federation_client.hpp"
#include "federation/remote_key_store.hpp"
#include "homeserver/events/server_identity.hpp"

namespace domovoy::federation {

class KeyFetcher {
 public:
  static constexpr std::int64_t kRefetchAfterFailureMs = 60'000;

  KeyFetcher(FederationClient& client, RemoteKeyStore& store, boost::asio::thread_pool& blocking_pool,
             const ServerIdentity& identity);

  // The public key (unpadded Base64) `key_id` of `server_name` that may verify a signature made
  // at `at_ms`; nullopt when there is none to be had.
  boost::asio::awaitable<std::optional<std::string>> key_for(std::string server_name, std::string key_id,
                                                             std::int64_t at_ms, bool enforce_valid_until = true);

 private:
  boost::asio::awaitable<std::optional<ServerKeys>> fetch(const std::string& server_name);

  FederationClient& client_;
  RemoteKeyStore& store_;
  boost::asio::thread_pool& blocking_pool_;
  const ServerIdentity& identity_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t> last_attempt_;  // server name -> when its keys were last fetched
};

}  // namespace domovoy::federation
