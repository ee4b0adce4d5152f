#pragma once
// Who is calling this server's federation API (server-server-api "Request Authentication"):
// the X-Matrix header parsed, meant for this server, from a server the federation policy
// allows, and signed over method, URI, origin, destination and body by a key of the origin.
// Anything else is 401 M_UNAUTHORIZED (403 M_FORBIDDEN for a server outside the federation).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <functional>
#include <string>
#include <string_view>

#include "federation/federation_policy.hpp"
#include "federation/key_fetcher.hpp"
#include "homeserver/http/router.hpp"

namespace domovoy::federation {

class RequestAuthenticator {
 public:
  RequestAuthenticator(KeyFetcher& keys, const FederationPolicy& policy, std::string server_name);

  // The origin server of `request`; throws ApiError with the answer otherwise.
  boost::asio::awaitable<std::string> authenticate(const http::Request& request);

  // Called with the origin of each authenticated request: a server that calls is up, so what
  // waits to be sent to it need not wait out its backoff (the transaction sender's heard_from).
  void on_heard_from(std::function<void(const std::string& origin)> listener) { heard_from_ = std::move(listener); }

 private:
  std::function<void(const std::string& origin)> heard_from_;
  KeyFetcher& keys_;
  const FederationPolicy& policy_;
  std::string server_name_;
};

// A federation endpoint: authenticated, then `handler` runs on the blocking pool with
// request.origin set.
using FederationHandler = std::function<http::Response(http::Request&)>;
void add_federation_route(http::Router& router, RequestAuthenticator& authenticator,
                          boost::asio::thread_pool& blocking_pool, boost::beast::http::verb method,
                          std::string_view pattern, FederationHandler handler);

}  // namespace domovoy::federation
