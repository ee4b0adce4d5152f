#include "federation/key_server.hpp"
#include "homeserver/core/clock.hpp"

#include "homeserver/core/json.hpp"
#include "homeserver/core/random.hpp"

namespace domovoy::federation {

using boost::beast::http::verb;

namespace {
// How long other servers may cache our key before asking again.
constexpr std::int64_t kKeyValidityMs = 7LL * 24 * 3600 * 1000;

}  // namespace

json::object own_server_keys(const ServerIdentity& identity) {
  json::object keys{
      {"server_name", identity.server_name},
      {"valid_until_ts", now_ms() + kKeyValidityMs},
      {"verify_keys",
       json::object{{identity.signing_key.key_id(), json::object{{"key", identity.signing_key.public_key_base64()}}}}},
      {"old_verify_keys", json::object{}}};
  sign_json(keys, identity.server_name, identity.signing_key);
  return keys;
}

void register_key_server_routes(http::Router& router, const Config& config, const ServerIdentity& identity) {
  router.add(verb::get, "/_matrix/key/v2/server", http::Auth::none,
             [&identity](http::Request&) { return http::Response::json(own_server_keys(identity)); });
  router.add(verb::get, "/_matrix/key/v2/server/{keyId}", http::Auth::none,
             [&identity](http::Request&) { return http::Response::json(own_server_keys(identity)); });
  router.add(verb::get, "/_matrix/federation/v1/version", http::Auth::none, [](http::Request&) {
    return http::Response::json(json::object{{"server", json::object{{"name", "Domovoy"}, {"version", "0.1.0"}}}});
  });
  router.add(verb::get, "/.well-known/matrix/server", http::Auth::none, [&config](http::Request&) {
    std::string delegate = config.federation_delegate;
    if (delegate.empty()) {
      bool has_port = config.server_name.find(':') != std::string::npos && config.server_name.back() != ']';
      // Other servers reach this one at its federation listener, when it has one.
      auto port = config.federation.listen_address.empty() ? config.listen_port : config.federation.listen_port;
      delegate = has_port ? config.server_name : config.server_name + ":" + std::to_string(port);
    }
    return http::Response::json(json::object{{"m.server", delegate}});
  });
}

}  // namespace domovoy::federation
