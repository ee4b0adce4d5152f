#include "federation/request_authenticator.hpp"

#include <boost/json/parse.hpp>

#include "federation/x_matrix.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/http/blocking.hpp"

namespace domovoy::federation {

namespace {
ApiError unauthorized(std::string message) { return {401, "M_UNAUTHORIZED", std::move(message)}; }
}  // namespace

RequestAuthenticator::RequestAuthenticator(KeyFetcher& keys, const FederationPolicy& policy, std::string server_name)
    : keys_(keys), policy_(policy), server_name_(std::move(server_name)) {}

boost::asio::awaitable<std::string> RequestAuthenticator::authenticate(const http::Request& request) {
  auto authorization = request.header("authorization");
  if (authorization.empty()) throw unauthorized("Missing X-Matrix authorization");
  auto auth = parse_x_matrix(authorization);
  if (!auth) throw unauthorized("Malformed X-Matrix authorization");
  if (!auth->destination.empty() && auth->destination != server_name_)
    throw unauthorized("The request is meant for " + auth->destination + ", not this server");
  if (auth->origin == server_name_) throw unauthorized("The request claims to come from this server");
  if (!policy_.allows(auth->origin)) throw forbidden(auth->origin + " is not a server this one federates with");
  boost::json::value content;
  const boost::json::value* body = nullptr;
  if (!request.body.empty()) {
    boost::system::error_code ec;
    content = boost::json::parse(request.body, ec);
    if (ec) throw ApiError(400, "M_NOT_JSON", "The body is not JSON");
    body = &content;
  }
  // The call is made before the co_await: g++ 12 destroys temporaries in it twice (GCC bug 101367).
  auto finding = keys_.key_for(auth->origin, auth->key_id, now_ms());
  auto key = co_await std::move(finding);
  if (!key) throw unauthorized("No key " + auth->key_id + " of " + auth->origin + " is known");
  auto method = std::string(boost::beast::http::to_string(request.method));
  if (!verify_x_matrix(*auth, method, request.target, server_name_, body, *key))
    throw unauthorized("The X-Matrix signature does not verify");
  if (heard_from_) heard_from_(auth->origin);
  co_return auth->origin;
}

void add_federation_route(http::Router& router, RequestAuthenticator& authenticator,
                          boost::asio::thread_pool& blocking_pool, boost::beast::http::verb method,
                          std::string_view pattern, FederationHandler handler) {
  router.add_async(method, pattern, http::Auth::none,
                   [&authenticator, &blocking_pool, handler = std::move(handler)](
                       http::Request& request) -> boost::asio::awaitable<http::Response> {
                     request.origin = co_await authenticator.authenticate(request);
                     auto run = [&] { return handler(request); };
                     co_return co_await http::run_blocking(blocking_pool, run);
                   });
}

}  // namespace domovoy::federation
