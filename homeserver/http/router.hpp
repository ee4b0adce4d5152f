#pragma once
// Maps method + path pattern to a handler. Patterns are literal segments and {placeholders},
// each placeholder matching one percent-decoded segment.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <string>
#include <vector>

#include "homeserver/http/request.hpp"

namespace domovoy::http {

enum class Auth { none, required, optional };

// Most handlers are plain functions run on the blocking pool; long-polls are coroutines.
using BlockingHandler = std::function<Response(Request&)>;
using AsyncHandler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct Route {
  boost::beast::http::verb method;
  std::vector<std::string> segments;
  Auth auth;
  BlockingHandler blocking;
  AsyncHandler async;
  std::string rate_limit_class;  // "" for the general per-user limit
  std::string spool_directory;   // not empty: the body is written to a file there as it arrives
};

class Router {
 public:
  void add(boost::beast::http::verb method, std::string_view pattern, Auth auth, BlockingHandler handler,
           std::string rate_limit_class = {});
  void add_async(boost::beast::http::verb method, std::string_view pattern, Auth auth, AsyncHandler handler,
                 std::string rate_limit_class = {});
  // A route taking uploads of megabytes: its body reaches the handler as Request::spooled_body, a
  // file in `spool_directory` (which must be on the filesystem the handler renames it into).
  void add_spooled(boost::beast::http::verb method, std::string_view pattern, Auth auth, BlockingHandler handler,
                   std::string spool_directory);
  // Client-server paths: registers the pattern under both /_matrix/client/v3 and /r0.
  void add_client(boost::beast::http::verb method, std::string_view suffix, Auth auth, BlockingHandler handler,
                  std::string rate_limit_class = {});
  // The same for a coroutine handler (one that awaits another pool, e.g. password hashing).
  void add_client_async(boost::beast::http::verb method, std::string_view suffix, Auth auth, AsyncHandler handler,
                        std::string rate_limit_class = {});

  enum class MatchKind { found, wrong_method, not_found };
  struct Match {
    MatchKind kind = MatchKind::not_found;
    const Route* route = nullptr;
    std::vector<std::string> params;
  };
  Match match(boost::beast::http::verb method, std::string_view path) const;

 private:
  void check_new(boost::beast::http::verb method, const std::vector<std::string>& segments) const;
  std::vector<Route> routes_;
};

std::string percent_decode(std::string_view text);

}  // namespace domovoy::http
