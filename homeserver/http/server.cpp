#include "homeserver/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <array>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/http/blocking.hpp"
#include "homeserver/http/connections_per_address.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/canonical_json.hpp"

namespace domovoy::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

bool is_clean_text(std::string_view text) {
  // Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF), no C0 controls.
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return false;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
    if (length == 0 || byte > 0xf4 || i + length > text.size()) return false;
    std::uint32_t code = byte & (0xff >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10ffff)) ||
        (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

boost::json::object error_body(const std::string& errcode, const std::string& message) {
  return {{"errcode", errcode}, {"error", message}};
}

// How much of an oversized body is read and dropped after answering 413.
constexpr std::size_t kMaxDrainBytes = 8 << 20;

namespace {

// RFC 9112 §6.1: the only transfer coding we decode is a single, final "chunked". Beast reads a
// Transfer-Encoding without a final chunked as "no body" (so the body would be parsed as the next
// request: request smuggling) and silently ignores codings before chunked. A Transfer-Encoding
// with a Content-Length, or in an HTTP/1.0 request, is faulty framing (§6.1, §6.3).
bool has_supported_framing(const bhttp::fields& head, unsigned version) {
  auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return true;
  if (version < 11 || head.count(bhttp::field::content_length) > 0) return false;
  std::size_t codings = 0;
  for (auto field = first; field != last; ++field) {
    std::string_view list = field->value();
    while (!list.empty()) {
      auto comma = list.find(',');
      auto element = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      auto begin = element.find_first_not_of(" \t");
      if (begin == std::string_view::npos) continue;  // empty list elements are allowed (RFC 9110 §5.6.1)
      element = element.substr(begin, element.find_last_not_of(" \t") - begin + 1);
      if (!beast::iequals(element, "chunked")) return false;
      ++codings;
    }
  }
  return codings == 1;
}

// The client's address as the per-address limit counts it: an IPv4 client of a dual-stack
// listener counts as its IPv4 address.
std::string address_of(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  asio::io_context& io;
  asio::thread_pool& pool;
  const Router& router;
  TokenResolver resolve_token;
  TokenResolver cached_token;
  ServerLimits limits;
  RateLimits rate_limits;
  RateLimiter limiter;
  std::optional<tcp::acceptor> acceptor;
  std::shared_ptr<asio::ssl::context> tls;  // set: every connection speaks TLS
  std::atomic<std::size_t>& open_connections;
  ConnectionsPerAddress connections_per_address;
  std::atomic<std::uint64_t> next_request_id{1};

  Impl(asio::io_context& io_in, asio::thread_pool& pool_in, const Router& router_in, TokenResolver resolver,
       TokenResolver cached, ServerLimits limits_in, RateLimits rate_in, std::atomic<std::size_t>& counter)
      : io(io_in), pool(pool_in), router(router_in), resolve_token(std::move(resolver)),
        cached_token(std::move(cached)), limits(limits_in),
        rate_limits(rate_in), open_connections(counter),
        connections_per_address(limits_in.max_connections_per_address) {}

  asio::awaitable<void> accept_loop() {
    while (acceptor && acceptor->is_open()) {
      boost::system::error_code ec;
      auto socket = co_await acceptor->async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        // Out of file descriptors and the like: back off briefly instead of spinning.
        asio::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (open_connections.load() >= limits.max_connections) {
        socket.close(ec);
        continue;
      }
      auto endpoint = socket.remote_endpoint(ec);
      if (ec) {  // the client is already gone
        socket.close(ec);
        continue;
      }
      auto remote = address_of(endpoint);
      if (!connections_per_address.try_open(remote)) {
        socket.close(ec);
        continue;
      }
      open_connections.fetch_add(1);
      auto executor = socket.get_executor();
      auto done = [self = shared_from_this(), remote](std::exception_ptr) {
        self->connections_per_address.close(remote);
        self->open_connections.fetch_sub(1);
      };
      if (tls) asio::co_spawn(executor, serve_tls_connection(std::move(socket), remote), done);
      else asio::co_spawn(executor, serve_connection(beast::tcp_stream(std::move(socket)), remote), done);
    }
  }

  // The TLS handshake, bounded like a request's head, then HTTP over it.
  asio::awaitable<void> serve_tls_connection(tcp::socket socket, std::string remote) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(limits.header_timeout);
    boost::system::error_code ec;
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      spdlog::debug("TLS handshake with {} failed: {}", remote, ec.message());
      beast::get_lowest_layer(stream).socket().close(ec);
      co_return;
    }
    co_await serve_connection(std::move(stream), std::move(remote));
  }

  static void add_cors(bhttp::response<bhttp::string_body>& response) {
    response.set(bhttp::field::access_control_allow_origin, "*");
    response.set(bhttp::field::access_control_allow_methods, "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    response.set(bhttp::field::access_control_allow_headers,
                 "X-Requested-With, Content-Type, Authorization, Date");
  }

  static bhttp::response<bhttp::string_body> to_http(Response response, unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
    out.set(bhttp::field::server, "Domovoy");
    if (response.content_type.empty()) {
      out.set(bhttp::field::content_type, "application/json");
      out.body() = serialize(response.body);
    } else {
      out.set(bhttp::field::content_type, response.content_type);
      out.body() = std::move(response.raw_body);  // a file of megabytes is not copied
    }
    for (const auto& [name, value] : response.headers) out.set(name, value);
    add_cors(out);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
  }

  static Response error_response(unsigned status, const std::string& errcode, const std::string& message,
                                 const boost::json::object& extra = {}) {
    auto body = error_body(errcode, message);
    for (const auto& member : extra) body[member.key()] = member.value();
    return Response::json(std::move(body), status);
  }

  Request make_request(const bhttp::request_header<>& raw, const std::string& remote) {
    Request request;
    request.method = raw.method();
    std::string_view target = raw.target();
    auto question = target.find('?');
    request.target = std::string(target);
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) {
      auto query = target.substr(question + 1);
      std::size_t start = 0;
      while (start <= query.size()) {
        auto amp = query.find('&', start);
        auto pair = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        if (!pair.empty()) {
          auto eq = pair.find('=');
          auto decode = [](std::string_view text) {
            std::string plus(text);
            for (auto& c : plus)
              if (c == '+') c = ' ';
            return percent_decode(plus);
          };
          request.query.emplace(decode(pair.substr(0, eq)),
                                eq == std::string_view::npos ? std::string{} : decode(pair.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        start = amp + 1;
      }
    }
    for (const auto& field : raw) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.remote_address = remote;
    return request;
  }

  // Authenticates, rate-limits and runs the matched handler; every failure becomes a Matrix error.
  asio::awaitable<Response> dispatch(Request& request, Router::Match match) {
    if (request.method == bhttp::verb::options) co_return Response::json(boost::json::object{});
    if (match.kind == Router::MatchKind::not_found) co_return error_response(404, "M_UNRECOGNIZED", "Unrecognized request");
    if (match.kind == Router::MatchKind::wrong_method)
      co_return error_response(405, "M_UNRECOGNIZED", "Unrecognized request method");
    const Route& route = *match.route;
    request.path_params = std::move(match.params);
    for (const auto& param : request.path_params)
      if (!is_clean_text(param))
        co_return error_response(400, "M_INVALID_PARAM", "Path parameters must be UTF-8 without control characters");
    try {
      std::string token;
      if (route.auth != Auth::none) {
        auto authorization = request.header("authorization");
        if (authorization.rfind("Bearer ", 0) == 0) token = authorization.substr(7);
        else if (auto query_token = request.query_param("access_token")) token = *query_token;
        if (token.empty() && route.auth == Auth::required)
          co_return error_response(401, "M_MISSING_TOKEN", "Missing access token");
      }
      // Blocking handlers authenticate and run in one trip to the blocking pool.
      auto authenticate = [this, &token, &request]() -> std::optional<Response> {
        if (token.empty()) return std::nullopt;
        auto session = resolve_token(token, request);
        if (!session)
          return error_response(401, "M_UNKNOWN_TOKEN", "Unknown access token",
                                boost::json::object{{"soft_logout", false}});
        request.user_id = session->user_id;
        request.device_id = session->device_id;
        request.access_token_hash = session->token_hash;
        request.appservice_id = session->appservice_id;
        request.rate_limited = session->rate_limited;
        return std::nullopt;
      };
      auto rate_limited = [this, &route, &request]() -> std::optional<Response> {
        if (!rate_limits.enabled || !request.rate_limited) return std::nullopt;
        std::int64_t wait = 0;
        if (route.rate_limit_class == "login") wait = limiter.take("login:" + request.remote_address, rate_limits.login);
        else if (!request.user_id.empty()) wait = limiter.take("user:" + request.user_id, rate_limits.per_user);
        else wait = limiter.take("addr:" + request.remote_address, rate_limits.per_address);
        if (wait <= 0) return std::nullopt;
        return error_response(429, "M_LIMIT_EXCEEDED", "Too many requests", boost::json::object{{"retry_after_ms", wait}});
      };
      if (route.async) {
        std::optional<Session> known;
        if (!token.empty() && cached_token) known = cached_token(token, request);
        if (known) {
          request.user_id = known->user_id;
          request.device_id = known->device_id;
          request.access_token_hash = known->token_hash;
          if (auto refused = rate_limited()) co_return std::move(*refused);
          co_return co_await route.async(request);
        }
        auto check = [&]() -> std::optional<Response> {
          if (auto refused = authenticate()) return refused;
          return rate_limited();
        };
        auto refused = co_await run_blocking(pool, check);
        if (refused) co_return std::move(*refused);
        auto response = co_await route.async(request);
        co_return response;
      }
      auto handle = [&]() -> Response {
        if (auto refused = authenticate()) return std::move(*refused);
        if (auto refused = rate_limited()) return std::move(*refused);
        return route.blocking(request);
      };
      auto response = co_await run_blocking(pool, handle);
      co_return response;
    } catch (const ApiError& error) {
      co_return error_response(error.status(), error.errcode(), error.what(), error.extra());
    } catch (const NotCanonical& error) {
      co_return error_response(400, "M_BAD_JSON", error.what());
    } catch (const std::exception& error) {
      spdlog::error("request {} {} failed: {}", std::string(bhttp::to_string(request.method)), request.path,
                    error.what());
      co_return error_response(500, "M_UNKNOWN", "Internal server error");
    }
  }


  // Answers `response` and closes. Closing with unread bytes makes the kernel send RST, which can
  // destroy the answer before the client reads it: stop sending, then read and drop what the
  // client still sends (bounded in bytes and time).
  template <class Stream>
  static asio::awaitable<void> answer_and_close(Stream& stream, bhttp::response<bhttp::string_body> response) {
    boost::system::error_code ec;
    co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    std::array<char, 16384> sink;
    for (std::size_t drained = 0; !ec && drained < kMaxDrainBytes;) {
      drained += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  std::size_t largest_body_limit() const {
    auto largest = limits.max_body_bytes;
    for (const auto& [prefix, limit] : limits.body_limits_by_prefix) largest = std::max(largest, limit);
    return largest;
  }
  std::size_t body_limit_for(std::string_view target) const {
    for (const auto& [prefix, limit] : limits.body_limits_by_prefix)
      if (target.substr(0, prefix.size()) == prefix) return limit;
    return limits.max_body_bytes;
  }

  // Plain HTTP (beast::tcp_stream) or HTTPS (beast::ssl_stream over one, handshake done).
  template <class Stream>
  asio::awaitable<void> serve_connection(Stream stream, std::string remote) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    bool first = true;
    while (true) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
      parser.body_limit(largest_body_limit());
      beast::get_lowest_layer(stream).expires_after(first ? limits.header_timeout : limits.idle_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      // Refused before the body is read: whatever follows this head cannot be delimited.
      if ((!ec || ec == bhttp::error::body_limit) && !has_supported_framing(parser.get(), parser.get().version())) {
        co_await answer_and_close(stream, to_http(error_response(400, "M_UNKNOWN", "Unsupported Transfer-Encoding"), 11, false));
        break;
      }
      // A Content-Length over the limit is refused while the header is parsed.
      if (ec && ec != bhttp::error::body_limit) {
        // A malformed head gets an answer before the close (RFC 9112 §6.3); a vanished client none.
        bool gone = ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
                    ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
                    ec == bhttp::error::partial_message;
        if (!gone) {
          auto response = ec == bhttp::error::header_limit
                              ? to_http(error_response(431, "M_UNKNOWN", "Request header fields too large"), 11, false)
                          : ec == bhttp::error::bad_transfer_encoding
                              ? to_http(error_response(400, "M_UNKNOWN", "Unsupported Transfer-Encoding"), 11, false)
                              : to_http(error_response(400, "M_UNKNOWN", "Malformed HTTP request"), 11, false);
          boost::system::error_code write_error;
          co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, write_error));
        }
        break;
      }
      first = false;
      if (!ec) {
        // The head is read: now the limit of this path applies (a Content-Length is checked here,
        // a chunked body as it arrives).
        auto limit = body_limit_for(parser.get().target());
        auto declared = parser.content_length();
        if (declared && *declared > limit) ec = bhttp::error::body_limit;
        else parser.body_limit(limit);
      }
      // A client that waits for leave to send its body (curl does for a megabyte) gets it now
      // rather than after its own timeout (RFC 9110 §10.1.1).
      if (!ec && parser.get().version() >= 11 && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        co_await bhttp::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      // The route is found once, from the head: an upload route's body goes to a file as it
      // arrives, any other body is read into memory, and dispatch runs the same route.
      Router::Match match;
      if (!ec) {
        std::string_view target = parser.get().target();
        match = router.match(parser.get().method(), target.substr(0, target.find('?')));
      }
      std::string_view spool_directory;
      if (match.kind == Router::MatchKind::found) spool_directory = match.route->spool_directory;
      std::optional<bhttp::request_parser<bhttp::file_body>> file_parser;
      std::optional<SpooledBody> spooled;
      if (!ec && !spool_directory.empty()) {
        auto limit = body_limit_for(parser.get().target());
        file_parser.emplace(std::move(parser));
        file_parser->body_limit(limit);
        spooled.emplace(std::string(spool_directory) + "/" + random_letters(24));
        beast::error_code open_error;
        file_parser->get().body().open(spooled->path().c_str(), beast::file_mode::write_new, open_error);
        if (open_error) {
          spdlog::error("cannot open a spool file in {}: {}", spool_directory, open_error.message());
          co_await answer_and_close(stream, to_http(error_response(500, "M_UNKNOWN", "Internal server error"), 11, false));
          break;
        }
        beast::get_lowest_layer(stream).expires_after(limits.body_timeout);
        co_await bhttp::async_read(stream, buffer, *file_parser, asio::redirect_error(asio::use_awaitable, ec));
      } else if (!ec) {
        beast::get_lowest_layer(stream).expires_after(limits.body_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec == bhttp::error::body_limit) {
        co_await answer_and_close(stream, to_http(error_response(413, "M_TOO_LARGE", "Request body too large"), 11, false));
        break;
      }
      if (ec) {
        if (ec != beast::error::timeout && ec != bhttp::error::end_of_stream && ec != asio::error::eof) {
          auto response = to_http(error_response(400, "M_UNKNOWN", "Malformed HTTP request"), 11, false);
          co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
        }
        break;
      }
      Request request;
      bool keep_alive = false;
      if (file_parser) {
        auto raw = file_parser->release();
        keep_alive = raw.keep_alive();
        raw.body().close();
        request = make_request(raw, remote);
        request.spooled_body = std::move(spooled);
      } else {
        auto raw = parser.release();
        keep_alive = raw.keep_alive();
        request = make_request(raw, remote);
        request.body = std::move(raw.body());
      }
      auto request_id = next_request_id.fetch_add(1);
      beast::get_lowest_layer(stream).expires_never();
      auto response = co_await dispatch(request, std::move(match));
      spdlog::debug("req {} {} {} -> {}", request_id, std::string(bhttp::to_string(request.method)), request.path,
                    response.status);
      auto http_response = to_http(std::move(response), 11, keep_alive);  // we speak HTTP/1.1 (RFC 9110 §6.2)
      beast::get_lowest_layer(stream).expires_after(limits.body_timeout);
      co_await bhttp::async_write(stream, http_response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream).socket().close(ec);
  }
};

Server::Server(asio::io_context& io, asio::thread_pool& blocking_pool, const Router& router,
               TokenResolver resolve_token, ServerLimits limits, RateLimits rate_limits, TokenResolver cached_token)
    : impl_(std::make_shared<Impl>(io, blocking_pool, router, std::move(resolve_token), std::move(cached_token),
                                   limits, rate_limits, open_connections_)) {}

unsigned short Server::listen_tls(const std::string& address, unsigned short port,
                                  std::shared_ptr<asio::ssl::context> tls) {
  impl_->tls = std::move(tls);
  return listen(address, port);
}

unsigned short Server::listen(const std::string& address, unsigned short port) {
  tcp::endpoint endpoint(asio::ip::make_address(address), port);
  auto& acceptor = impl_->acceptor.emplace(impl_->io);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return acceptor.local_endpoint().port();
}

void Server::stop() {
  asio::post(impl_->io, [impl = impl_]() {
    boost::system::error_code ec;
    if (impl->acceptor) impl->acceptor->close(ec);
  });
}

}  // namespace domovoy::http
