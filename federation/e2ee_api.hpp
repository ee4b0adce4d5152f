#pragma once
// End-to-end encryption across servers (server-server-api "End-to-End Encryption", "Device
// Management", "Send-to-device messaging"): the keys of local users answered to other servers
// (user/keys/query, user/keys/claim, user/devices), asked of other servers for local clients,
// and local users' device changes sent to the servers that share a room with them as
// m.device_list_update (with the prev_id chain) and m.signing_key_update EDUs. Device display
// names never leave the server (as Synapse's default): they can name a resident's phone.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "federation/federation_client.hpp"
#include "federation/request_authenticator.hpp"
#include "homeserver/client/services.hpp"

namespace domovoy::federation {

void register_e2ee_routes(http::Router& router, RequestAuthenticator& authenticator,
                          boost::asio::thread_pool& blocking_pool, ClientServices& services);

// POST /_matrix/federation/v1/user/keys/{what} to `destination`: its JSON answer, or the
// ApiError for the client's `failures` (status and message).
boost::asio::awaitable<boost::json::object> ask_for_keys(FederationClient& client, std::string destination,
                                                         std::string what, boost::json::object body);

// The EDUs that tell other servers of a local user's device change. Each update names the
// update before it (prev_id) so a receiver knows when it missed one and asks user/devices;
// after a restart the chain starts again with an empty prev_id.
class DeviceListUpdates {
 public:
  explicit DeviceListUpdates(ClientServices& services) : services_(services) {}

  // For the change at `stream` of `user_id`'s `device_ids` (none: the cross-signing keys).
  // Blocks (reads the keys).
  std::vector<boost::json::object> edus_for(const std::string& user_id, const std::vector<std::string>& device_ids,
                                            bool deleted, std::uint64_t stream);

 private:
  ClientServices& services_;
  std::mutex mutex_;
  std::map<std::string, std::uint64_t> last_stream_;  // user -> stream id of the last update sent
};

}  // namespace domovoy::federation
