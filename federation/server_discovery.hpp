#pragma once
// Server name resolution (server-server-api "Resolving server names"): from a server name to
// where a request goes, which name its certificate must carry and what its Host header says.
//
//   1. an IP literal: that address, the given port or 8448;
//   2. a host name with an explicit port: that name and port;
//   3. otherwise https://<hostname>/.well-known/matrix/server, whose m.server delegates to
//      an IP literal (3.1), a name with a port (3.2), a name whose SRV record
//      _matrix-fed._tcp (3.3, then the deprecated _matrix._tcp, 3.4) says where, or the name on
//      port 8448 (3.5);
//   4-6. without a well-known answer, the same SRV lookups for the hostname, then port 8448.
//
// The certificate is always checked for the name that came out of steps 1-3 (never an SRV
// target, which DNS alone vouches for). Well-known answers, good or bad, are cached: as long as
// their Cache-Control says, 24 hours without one, at most 48; failures for an hour.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy::federation {

// Where a request to one server goes. The request URL is https://<authority><path>: its host is
// the name the certificate must carry (and SNI), the whole authority the Host header.
struct ServerAddress {
  std::string authority;     // host[:port], IPv6 in brackets
  std::string connect_host;  // empty: the authority's host
  std::string connect_port;  // empty: the authority's port (443 when it has none)

  bool operator==(const ServerAddress&) const = default;
};

struct HostAndPort {
  std::string host;  // an IPv6 literal in brackets, as written
  std::optional<std::uint16_t> port;
  bool ip_literal = false;
};

// A server name (or a well-known's m.server) split into host and port; nullopt when it is not
// a valid server name.
std::optional<HostAndPort> split_server_name(std::string_view name);

// The m.server of a /.well-known/matrix/server body, when the body is a JSON object with a
// valid one.
std::optional<std::string> well_known_delegation(std::string_view body);

// How long to keep a well-known response: its Cache-Control max-age (no-store and no-cache
// count as none), otherwise 24 hours, never more than 48.
std::chrono::milliseconds well_known_cache_time(std::string_view cache_control);

struct SrvTarget {
  std::string host;
  std::uint16_t port = 0;
};

struct WellKnownResult {
  std::optional<std::string> delegation;  // m.server; nullopt for an error or an invalid body
  std::chrono::milliseconds cache_for{0};
};

class ServerDiscovery {
 public:
  // The lookups are the caller's, so that the steps can be tested without a network: a
  // well-known fetch over HTTPS (redirects followed) and an SRV query.
  using WellKnownFetch = std::function<boost::asio::awaitable<WellKnownResult>(std::string hostname)>;
  using SrvLookup = std::function<boost::asio::awaitable<std::optional<SrvTarget>>(std::string record)>;
  using Clock = std::function<std::int64_t()>;  // ms since the epoch

  ServerDiscovery(WellKnownFetch fetch, SrvLookup srv, Clock clock);

  // Where to send requests for `server_name`; nullopt when it is not a valid server name.
  boost::asio::awaitable<std::optional<ServerAddress>> resolve(std::string server_name);

 private:
  boost::asio::awaitable<ServerAddress> by_srv_or_default(std::string hostname);

  WellKnownFetch fetch_;
  SrvLookup srv_;
  Clock clock_;
  struct Cached {
    ServerAddress address;
    std::int64_t expires_at = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace domovoy::federation
