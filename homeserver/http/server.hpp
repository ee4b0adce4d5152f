#pragma once
// The HTTP/1.1 listener: Beast over Asio coroutines. Each connection runs on its own strand;
// blocking handlers run on a separate pool so that network threads never wait on disk or argon2.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "homeserver/http/rate_limiter.hpp"
#include "homeserver/http/router.hpp"

namespace boost::asio::ssl {
class context;
}

namespace domovoy::http {

struct ServerLimits {
  std::size_t max_body_bytes = 65536;
  // Larger bodies for the paths that need them (the registry import, later media uploads):
  // (path prefix, limit); the first matching prefix decides.
  std::vector<std::pair<std::string, std::size_t>> body_limits_by_prefix;
  std::size_t max_header_bytes = 16384;
  std::chrono::seconds header_timeout{30};
  std::chrono::seconds body_timeout{60};
  std::chrono::seconds idle_timeout{75};
  std::size_t max_connections = 20000;
  std::size_t max_connections_per_address = 1000;
};

struct RateLimits {
  bool enabled = true;
  RateLimit per_user{20, 200};
  RateLimit per_address{50, 500};
  RateLimit login{3, 30};          // login and registration, per address
};

// Resolves an access token to (user id, device id, token hash); nullopt when unknown. An
// appservice's as_token resolves to the user it asserts (?user_id=, ?device_id=), and may throw
// ApiError when that assertion is refused.
struct Session {
  std::string user_id;
  std::string device_id;
  std::string token_hash;
  std::string appservice_id;
  bool rate_limited = true;
};
using TokenResolver = std::function<std::optional<Session>(const std::string& token, const Request& request)>;

class Server {
 public:
  // `cached_token` answers from memory only (nullopt when it does not know): it lets coroutine
  // routes such as /sync authenticate on the network thread instead of a trip to the pool.
  Server(boost::asio::io_context& io, boost::asio::thread_pool& blocking_pool, const Router& router,
         TokenResolver resolve_token, ServerLimits limits, RateLimits rate_limits, TokenResolver cached_token = {});

  // Binds and starts accepting; returns the bound port (useful with port 0).
  unsigned short listen(const std::string& address, unsigned short port);
  // The same over TLS with this server context (certificate and key loaded).
  unsigned short listen_tls(const std::string& address, unsigned short port,
                            std::shared_ptr<boost::asio::ssl::context> tls);
  void stop();
  std::size_t open_connections() const { return open_connections_.load(); }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::atomic<std::size_t> open_connections_{0};
};

// Well-formed UTF-8 with no control characters: what a path parameter may hold.
bool is_clean_text(std::string_view text);

// The JSON body of an error response.
boost::json::object error_body(const std::string& errcode, const std::string& message);

}  // namespace domovoy::http
