#pragma once
// An outbound HTTP/1.1 client, for the requests the homeserver makes itself: transactions and
// queries to application services, pings. http:// and https:// (OpenSSL; SNI; the peer's
// certificate and host name are verified against the system's CAs unless another TLS context is
// given).
//
// A request never blocks a thread: it runs as a coroutine on a strand of the client's executor
// and resumes the caller on the caller's executor. One deadline covers the whole request (name
// resolution, connect, TLS handshake, writing, reading the response).
//
// Names under .localhost resolve to the loopback addresses without asking DNS (RFC 6761 §6.3),
// which is how tests run several servers with names of their own on one machine.
//
// Connections are kept alive and reused per scheme, host and port. A reused connection the peer
// has closed in the meantime fails before any byte of the response; the request is then sent once
// more on a fresh connection, so a request can reach the peer twice only if the peer dropped the
// connection after reading it but before answering (appservice transactions are idempotent by
// their txnId). Beast and Asio templates live in client.cpp.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace domovoy::http {

struct ClientRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string url;  // http://host[:port]/path?query or https://...
  // Sent as given (Authorization, Content-Type, ...). Host, Content-Length and User-Agent are
  // set by the client.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // the whole request
  // Where to connect instead of the URL's host and port (federation's server discovery: an SRV
  // target, or port 8448 for a name without one). The URL's host still names the server for
  // SNI, the certificate check and the Host header. Empty: the URL's.
  std::string connect_host;
  std::string connect_port;
};

// What went wrong, in the terms a caller maps to errcodes: the ping API's M_CONNECTION_FAILED
// (connection_failed), M_CONNECTION_TIMEOUT (timeout); a response with any status is not an
// error here, and its status tells M_BAD_STATUS apart.
enum class ClientError {
  none,
  invalid_request,    // the URL is not http(s)://host..., or a header holds CR, LF or NUL;
                      // nothing was sent
  connection_failed,  // name resolution, connect (refused, unreachable), TLS handshake or
                      // certificate, or the connection broke before the response was complete
  timeout,            // the deadline passed first
  invalid_response,   // not HTTP/1.x, or headers or body larger than the client's limits
  address_denied,     // the name resolved to no address that ClientOptions::allow_address accepts;
                      // nothing was sent
};
const char* to_string(ClientError error);

struct ClientResponse {
  ClientError error = ClientError::none;
  std::string message;                         // why, when error != none
  unsigned status = 0;                         // when error == none
  std::map<std::string, std::string> headers;  // names lower-cased; repeated fields joined by ", "
  std::string body;
  bool reused_connection = false;  // whether a kept-alive connection carried the exchange

  bool ok() const { return error == ClientError::none; }
  bool success() const { return ok() && status >= 200 && status < 300; }
};

struct ClientOptions {
  std::size_t max_response_body_bytes = 16u << 20;
  std::size_t max_response_header_bytes = 64u << 10;
  // Kept-alive connections per scheme, host and port; 0 closes every connection after its response.
  std::size_t max_idle_per_host = 8;
  // An idle connection older than this is closed instead of reused. Below Node's 5 s default
  // keep-alive timeout, since many bridges are Node programs.
  std::chrono::milliseconds max_idle_age{4000};
  // For https://. Null: a TLS client context that verifies the peer against the system's CAs.
  // A given context is used as it is: its verify mode, CAs and certificates are the caller's;
  // the client adds SNI and, when the context verifies the peer, the host name check.
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::string user_agent = "Domovoy";
  // When set, only the resolved addresses it accepts are connected to, so a policy on where the
  // server may connect (URL previews: no private or loopback ranges) judges what the name
  // resolved to, not the name, and a second resolution cannot slip past it.
  std::function<bool(const boost::asio::ip::address&)> allow_address;
};

class HttpClient {
 public:
  // Sockets, timers and resolvers are created on `executor` (normally the server's io_context).
  explicit HttpClient(boost::asio::any_io_executor executor, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws for network failures: they are in ClientResponse::error. `request` must be a
  // named object that lives until the co_await returns (g++ 12 destroys temporaries inside a
  // co_await full-expression twice, GCC bug 101367); the client copies it before the first
  // suspension point. Requests still running when the client is destroyed finish normally: the
  // client's state is shared with them.
  boost::asio::awaitable<ClientResponse> request(const ClientRequest& request);

  // Connections waiting to be reused (for tests and metrics).
  std::size_t idle_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace domovoy::http
