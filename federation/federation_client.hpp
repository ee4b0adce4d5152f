#pragma once
// Requests this server makes of other servers: the destination resolved by server discovery,
// refused unless the federation policy allows it, connected only to addresses outside the
// deny list (private, loopback and link-local ranges unless `federation.allow_ip` lets them
// through), its certificate checked against `federation.ca` (or the system's CAs), and signed
// with this server's key in an X-Matrix header. Connections are kept alive per destination.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "federation/federation_policy.hpp"
#include "federation/server_discovery.hpp"
#include "homeserver/core/config.hpp"
#include "homeserver/events/server_identity.hpp"
#include "homeserver/http/client.hpp"

namespace domovoy::federation {

struct FederationRequest {
  std::string destination;  // a server name
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string uri;          // path and query, percent-encoded as sent (and signed)
  std::optional<boost::json::value> body;
  std::chrono::milliseconds timeout{30000};
};

struct FederationResponse {
  enum class Failure { none, not_allowed, bad_server_name, transport };
  Failure failure = Failure::none;
  std::string message;      // why, when failure != none
  unsigned status = 0;
  boost::json::value body;  // null when the response is not JSON
  std::string raw_body;     // the body as received, when it is not JSON (media)
  std::string content_type;

  bool ok() const { return failure == Failure::none; }
  bool success() const { return ok() && status >= 200 && status < 300; }
  // The body's errcode, when the other server answered a Matrix error.
  std::string errcode() const;
  // The answer's `error` text, at most 200 bytes: for logs and the client's message.
  std::string error() const;
};

// The TLS client context of outbound federation: TLS 1.2 and later, peers checked against
// federation.ca (or the system's CAs).
std::shared_ptr<boost::asio::ssl::context> federation_client_tls(const Config::Federation& config);

class FederationClient {
 public:
  FederationClient(boost::asio::any_io_executor executor, const ServerIdentity& identity,
                   const Config::Federation& config, const FederationPolicy& policy);
  ~FederationClient();
  FederationClient(const FederationClient&) = delete;
  FederationClient& operator=(const FederationClient&) = delete;

  // `request` must be a named object that lives until the co_await returns (GCC bug 101367).
  boost::asio::awaitable<FederationResponse> request(const FederationRequest& request);

  // Where requests for `server_name` go (for tests and logs).
  boost::asio::awaitable<std::optional<ServerAddress>> resolve(std::string server_name);

 private:
  const ServerIdentity& identity_;
  const FederationPolicy& policy_;
  boost::asio::thread_pool dns_pool_{1};  // SRV lookups block
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<ServerDiscovery> discovery_;
};

}  // namespace domovoy::federation
