#pragma once
// What the load drivers share: timing and percentiles, the server process's RSS and CPU time
// from /proc, and keep-alive HTTP/1.1 calls over loopback with Beast.
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "homeserver/core/json.hpp"

namespace domovoy::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using domovoy::json::object;
using domovoy::json::value;

// The server under load (set from the command line by each driver's main).
inline unsigned short g_port = 0;
inline int g_server_pid = 0;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

inline double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples.size() - 1));
  return samples[index];
}

inline long rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct Connection {
  explicit Connection(asio::any_io_executor executor) : stream(executor) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

inline asio::awaitable<std::unique_ptr<Connection>> connect() {
  auto executor = co_await asio::this_coro::executor;
  auto connection = std::make_unique<Connection>(executor);
  co_await connection->stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), g_port),
                                            asio::use_awaitable);
  connection->stream.socket().set_option(tcp::no_delay(true));
  co_return connection;
}

struct Reply {
  unsigned status = 0;
  value body;
};

inline asio::awaitable<Reply> call(Connection& connection, bhttp::verb method, std::string target, std::string body = {},
                            std::string token = {}) {
  bhttp::request<bhttp::string_body> request{method, target, 11};
  request.set(bhttp::field::host, "127.0.0.1");
  request.keep_alive(true);
  if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty() || method != bhttp::verb::get) {
    request.set(bhttp::field::content_type, "application/json");
    request.body() = body.empty() ? "{}" : body;
  }
  request.prepare_payload();
  co_await bhttp::async_write(connection.stream, request, asio::use_awaitable);
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(boost::none);  // an initial sync of many big rooms is tens of MB
  co_await bhttp::async_read(connection.stream, connection.buffer, parser, asio::use_awaitable);
  auto response = parser.release();
  Reply reply;
  reply.status = response.result_int();
  boost::system::error_code ec;
  reply.body = boost::json::parse(response.body(), ec);
  co_return reply;
}


inline double cpu_seconds(int pid) {  // utime + stime of the server process
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A building's room: `members` users in one room, `pollers` of them long-polling. Measures
// send-to-sync wake-up for a message and for a read receipt, and the server CPU per receipt.

// Runs a driver's scenarios (a callable returning an awaitable) on one io_context; prints what
// failed and returns 1 when one throws.
template <typename Scenarios>
int run_scenarios(const char* driver, Scenarios scenarios) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await scenarios();
        io.stop();
      },
      [&](std::exception_ptr error) {
        failure = error;
        io.stop();
      });
  io.run();
  if (!failure) return 0;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    std::cerr << driver << " failed: " << error.what() << "\n";
  }
  return 1;
}

}  // namespace domovoy::bench
