// Whole-server load driver: drives a running domovoy over HTTP on loopback and prints the
// figures docs/performance.md quotes. Every loop is bounded in count and time.
//   domovoy_load_driver --port P --server-pid PID [--scenario all|sends|wakeup|idle|initial-sync|versions|big-room|many-rooms --token T]
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <string>
#include <vector>

#include "bench/load_common.hpp"

using namespace domovoy::bench;

namespace {

struct User {
  std::string user_id;
  std::string token;
};

asio::awaitable<User> register_user(Connection& connection, const std::string& name) {
  // Bodies are built before co_await: g++ 12 cannot keep initializer lists alive across it.
  object request{{"username", name}, {"password", "benchmark-password"}, {"auth", object{{"type", "m.login.dummy"}}}};
  std::string body = boost::json::serialize(request);
  auto reply = co_await call(connection, bhttp::verb::post, std::string("/_matrix/client/v3/register"), body);
  if (reply.status != 200) throw std::runtime_error("register failed: " + boost::json::serialize(reply.body));
  co_return User{std::string(reply.body.at("user_id").as_string()), std::string(reply.body.at("access_token").as_string())};
}

asio::awaitable<std::string> create_room(Connection& connection, const User& owner, const std::vector<std::string>& invite) {
  boost::json::array invites;
  for (const auto& user : invite) invites.push_back(boost::json::string(user));
  object request{{"preset", "public_chat"}, {"invite", invites}};
  std::string body = boost::json::serialize(request);
  auto reply = co_await call(connection, bhttp::verb::post, std::string("/_matrix/client/v3/createRoom"), body, owner.token);
  if (reply.status != 200) throw std::runtime_error("createRoom failed: " + boost::json::serialize(reply.body));
  co_return std::string(reply.body.at("room_id").as_string());
}

asio::awaitable<void> join(Connection& connection, const User& user, const std::string& room_id) {
  auto reply = co_await call(connection, bhttp::verb::post, "/_matrix/client/v3/rooms/" + room_id + "/join", "{}", user.token);
  if (reply.status != 200) throw std::runtime_error("join failed: " + boost::json::serialize(reply.body));
}

std::string message_body(int n) {
  return boost::json::serialize(object{{"msgtype", "m.text"}, {"body", "Показания счётчика №" + std::to_string(n)}});
}

std::string run_id() { return std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000); }

// 64 senders, each in its own room, each sending back to back for `seconds`.
asio::awaitable<void> scenario_sends(int senders, int seconds) {
  auto setup = co_await connect();
  std::vector<User> users;
  std::vector<std::string> rooms;
  auto prefix = "s" + run_id() + "_";
  for (int i = 0; i < senders; ++i) {
    users.push_back(co_await register_user(*setup, prefix + std::to_string(i)));
    rooms.push_back(co_await create_room(*setup, users.back(), {}));
  }
  std::vector<double> latencies;
  int failures = 0;
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  auto start = Clock::now();
  int finished = 0;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer done(executor, Clock::time_point::max());
  for (int i = 0; i < senders; ++i) {
    asio::co_spawn(executor, [&, i]() -> asio::awaitable<void> {
      auto connection = co_await connect();
      for (int n = 0; Clock::now() < deadline; ++n) {
        auto t0 = Clock::now();
        auto reply = co_await call(*connection, bhttp::verb::put,
                                   "/_matrix/client/v3/rooms/" + rooms[i] + "/send/m.room.message/t" + std::to_string(n),
                                   message_body(n), users[i].token);
        if (reply.status == 200) latencies.push_back(ms_since(t0));
        else ++failures;
      }
      if (++finished == senders) done.cancel();
    }, asio::detached);
  }
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  double elapsed = ms_since(start) / 1000.0;
  std::cout << std::fixed << std::setprecision(2) << "durable sends: " << senders << " senders in " << senders
            << " rooms, " << latencies.size() << " sends in " << elapsed << " s = "
            << static_cast<double>(latencies.size()) / elapsed << " sends/s; latency p50 " << percentile(latencies, 50)
            << " ms, p99 " << percentile(latencies, 99) << " ms; failures " << failures << "\n";
}

// `listeners` users each in their own room with a sender; `polls_per_listener` long-polls each.
asio::awaitable<void> scenario_wakeup(int listeners, int polls_per_listener, int rounds) {
  auto setup = co_await connect();
  auto prefix = "w" + run_id() + "_";
  std::vector<User> listen_users, senders;
  std::vector<std::string> rooms;
  for (int i = 0; i < listeners; ++i) {
    senders.push_back(co_await register_user(*setup, prefix + "s" + std::to_string(i)));
    listen_users.push_back(co_await register_user(*setup, prefix + "l" + std::to_string(i)));
    rooms.push_back(co_await create_room(*setup, senders.back(), {}));
    co_await join(*setup, listen_users.back(), rooms.back());
  }
  auto executor = co_await asio::this_coro::executor;
  // Shared with the pollers, which outlive this scenario until their last poll returns.
  struct Shared {
    std::vector<double> latencies;
    std::vector<Clock::time_point> sent_at;
    std::vector<User> listen_users;
    int pending_polls = 0;
    bool stopping = false;
  };
  auto shared = std::make_shared<Shared>();
  shared->sent_at.resize(static_cast<std::size_t>(listeners));
  shared->listen_users = listen_users;
  for (int i = 0; i < listeners; ++i) {
    auto first = co_await call(*setup, bhttp::verb::get, std::string("/_matrix/client/v3/sync?timeout=0"), {}, listen_users[i].token);
    std::string since(first.body.at("next_batch").as_string());
    for (int p = 0; p < polls_per_listener; ++p) {
      asio::co_spawn(executor, [shared, i, since]() mutable -> asio::awaitable<void> {
        auto connection = co_await connect();
        auto slot = static_cast<std::size_t>(i);
        while (!shared->stopping) {
          ++shared->pending_polls;
          auto reply = co_await call(*connection, bhttp::verb::get,
                                     "/_matrix/client/v3/sync?timeout=30000&since=" + since, {},
                                     shared->listen_users[slot].token);
          --shared->pending_polls;
          if (reply.status != 200) co_return;
          auto joined = reply.body.at("rooms").at("join").as_object();
          if (!joined.empty() && shared->sent_at[slot] != Clock::time_point{})
            shared->latencies.push_back(ms_since(shared->sent_at[slot]));
          since = std::string(reply.body.at("next_batch").as_string());
        }
      }, asio::detached);
    }
  }
  asio::steady_timer pause(executor);
  auto wait_for_polls = [&]() -> asio::awaitable<void> {
    for (int tries = 0; tries < 500 && shared->pending_polls < listeners * polls_per_listener; ++tries) {
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::use_awaitable);
    }
  };
  for (int round = 0; round < rounds; ++round) {
    co_await wait_for_polls();
    int target = round % listeners;
    shared->sent_at[static_cast<std::size_t>(target)] = Clock::now();
    co_await call(*setup, bhttp::verb::put,
                  "/_matrix/client/v3/rooms/" + rooms[target] + "/send/m.room.message/w" + std::to_string(round),
                  message_body(round), senders[target].token);
    pause.expires_after(std::chrono::milliseconds(20));
    co_await pause.async_wait(asio::use_awaitable);
  }
  shared->stopping = true;
  std::cout << std::fixed << std::setprecision(2) << "wake-up: " << listeners * polls_per_listener
            << " concurrent long-polls, " << shared->latencies.size() << " wake-ups; send-to-sync p50 "
            << percentile(shared->latencies, 50) << " ms, p99 " << percentile(shared->latencies, 99) << " ms\n";
}

// Many long-polls that never wake, then the server's resident memory.
asio::awaitable<void> scenario_idle(int polls) {
  auto setup = co_await connect();
  auto user = co_await register_user(*setup, "i" + run_id());
  auto first = co_await call(*setup, bhttp::verb::get, std::string("/_matrix/client/v3/sync?timeout=0"), {}, user.token);
  std::string since(first.body.at("next_batch").as_string());
  long before = rss_kib(g_server_pid);
  auto executor = co_await asio::this_coro::executor;
  auto pending = std::make_shared<int>(0);  // the polls end after this scenario returns
  std::vector<std::shared_ptr<Connection>> connections;
  for (int i = 0; i < polls; ++i) {
    auto connection = std::shared_ptr<Connection>(co_await connect());
    connections.push_back(connection);
    asio::co_spawn(executor, [connection, pending, user, since]() -> asio::awaitable<void> {
      ++*pending;
      boost::system::error_code ec;
      try {
        co_await call(*connection, bhttp::verb::get, "/_matrix/client/v3/sync?timeout=60000&since=" + since, {}, user.token);
      } catch (const std::exception&) {
      }
      --*pending;
    }, asio::detached);
  }
  asio::steady_timer pause(executor, std::chrono::seconds(3));
  co_await pause.async_wait(asio::use_awaitable);
  long during = rss_kib(g_server_pid);
  std::cout << "idle long-polls: " << *pending << " pending; server RSS " << during / 1024 << " MB (" << before / 1024
            << " MB before)\n";
  for (auto& connection : connections) {
    boost::system::error_code ec;
    connection->stream.socket().close(ec);
  }
}

// A user in `rooms` rooms of `events` events each; time of their initial /sync.
asio::awaitable<void> scenario_initial_sync(int room_count, int events) {
  auto setup = co_await connect();
  auto user = co_await register_user(*setup, "r" + run_id());
  auto executor = co_await asio::this_coro::executor;
  std::vector<std::string> rooms;
  for (int r = 0; r < room_count; ++r) rooms.push_back(co_await create_room(*setup, user, {}));
  int finished = 0;
  asio::steady_timer done(executor, Clock::time_point::max());
  for (int r = 0; r < room_count; ++r) {
    asio::co_spawn(executor, [&, r]() -> asio::awaitable<void> {
      auto connection = co_await connect();
      for (int n = 0; n < events; ++n)
        co_await call(*connection, bhttp::verb::put,
                      "/_matrix/client/v3/rooms/" + rooms[r] + "/send/m.room.message/f" + std::to_string(n),
                      message_body(n), user.token);
      if (++finished == room_count) done.cancel();
    }, asio::detached);
  }
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    auto reply = co_await call(*setup, bhttp::verb::get, std::string("/_matrix/client/v3/sync"), {}, user.token);
    times.push_back(ms_since(t0));
    if (reply.status != 200 || reply.body.at("rooms").at("join").as_object().size() != static_cast<std::size_t>(room_count))
      throw std::runtime_error("initial sync returned the wrong rooms");
  }
  std::cout << std::fixed << std::setprecision(2) << "initial sync: " << room_count << " rooms x " << events
            << " events; first " << times.front() << " ms, median of 5 " << percentile(times, 50) << " ms\n";
}

asio::awaitable<void> scenario_big_room(int members, int pollers, int rounds) {
  auto setup = co_await connect();
  auto prefix = "b" + run_id() + "_" + std::to_string(members) + "_";
  std::vector<User> users;
  for (int i = 0; i < members; ++i) users.push_back(co_await register_user(*setup, prefix + std::to_string(i)));
  auto room = co_await create_room(*setup, users[0], {});
  auto executor = co_await asio::this_coro::executor;
  {
    int finished = 0;
    asio::steady_timer done(executor, Clock::time_point::max());
    constexpr int kJoiners = 16;
    for (int j = 0; j < kJoiners; ++j) {
      asio::co_spawn(executor, [&, j]() -> asio::awaitable<void> {
        auto connection = co_await connect();
        for (int i = 1 + j; i < members; i += kJoiners) co_await join(*connection, users[static_cast<std::size_t>(i)], room);
        if (++finished == kJoiners) done.cancel();
      }, asio::detached);
    }
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  auto first_event = co_await call(*setup, bhttp::verb::put,
                                   "/_matrix/client/v3/rooms/" + room + "/send/m.room.message/b0", message_body(0),
                                   users[0].token);
  std::string receipt_target(first_event.body.at("event_id").as_string());

  // Shared with the pollers, which outlive this scenario until their last poll returns.
  struct Shared {
    std::vector<double> latencies;
    Clock::time_point sent_at{};
    int pending_polls = 0;
    bool stopping = false;
  };
  auto shared = std::make_shared<Shared>();
  for (int p = 0; p < pollers; ++p) {
    const auto& user = users[static_cast<std::size_t>(members - 1 - p)];
    auto first = co_await call(*setup, bhttp::verb::get, std::string("/_matrix/client/v3/sync?timeout=0"), {}, user.token);
    std::string since(first.body.at("next_batch").as_string());
    asio::co_spawn(executor, [shared, token = user.token, since]() mutable -> asio::awaitable<void> {
      auto connection = co_await connect();
      while (!shared->stopping) {
        ++shared->pending_polls;
        auto reply = co_await call(*connection, bhttp::verb::get,
                                   "/_matrix/client/v3/sync?timeout=30000&since=" + since, {}, token);
        --shared->pending_polls;
        if (reply.status != 200) co_return;
        if (!reply.body.at("rooms").at("join").as_object().empty() && shared->sent_at != Clock::time_point{})
          shared->latencies.push_back(ms_since(shared->sent_at));
        since = std::string(reply.body.at("next_batch").as_string());
      }
    }, asio::detached);
  }
  asio::steady_timer pause(executor);
  auto settle = [&]() -> asio::awaitable<void> {
    for (int tries = 0; tries < 1000 && shared->pending_polls < pollers; ++tries) {
      pause.expires_after(std::chrono::milliseconds(5));
      co_await pause.async_wait(asio::use_awaitable);
    }
    pause.expires_after(std::chrono::milliseconds(30));  // the re-polls reach their wait
    co_await pause.async_wait(asio::use_awaitable);
  };
  auto measure = [&](bool receipts) -> asio::awaitable<std::pair<std::vector<double>, double>> {
    shared->latencies.clear();
    double cpu = 0;
    for (int round = 0; round < rounds; ++round) {
      co_await settle();
      const auto& actor = users[static_cast<std::size_t>(round % members)];
      double cpu_before = cpu_seconds(g_server_pid);
      shared->sent_at = Clock::now();
      if (receipts) {
        co_await call(*setup, bhttp::verb::post,
                      "/_matrix/client/v3/rooms/" + room + "/receipt/m.read/" + receipt_target, "{}", actor.token);
      } else {
        co_await call(*setup, bhttp::verb::put,
                      "/_matrix/client/v3/rooms/" + room + "/send/m.room.message/r" + std::to_string(round),
                      message_body(round), actor.token);
      }
      co_await settle();
      cpu += cpu_seconds(g_server_pid) - cpu_before;
    }
    co_return std::make_pair(shared->latencies, cpu / rounds * 1000.0);
  };
  co_await settle();
  std::cerr << "big room: set up, measuring" << std::endl;  // for profilers to start here
  auto [message_latencies, message_cpu] = co_await measure(false);
  auto [receipt_latencies, receipt_cpu] = co_await measure(true);
  shared->stopping = true;
  std::cout << std::fixed << std::setprecision(2) << "big room: " << members << " members, " << pollers
            << " long-polling; message wake-up p50 " << percentile(message_latencies, 50) << " ms, p99 "
            << percentile(message_latencies, 99) << " ms, server CPU " << message_cpu
            << " ms per message; receipt wake-up p50 " << percentile(receipt_latencies, 50) << " ms, p99 "
            << percentile(receipt_latencies, 99) << " ms, server CPU " << receipt_cpu << " ms per receipt ("
            << receipt_latencies.size() << " receipt wake-ups)\n";
  // The pollers are left to time out; wake them once more so they see `stopping`.
  co_await call(*setup, bhttp::verb::put, "/_matrix/client/v3/rooms/" + room + "/send/m.room.message/end",
                message_body(0), users[0].token);
}

// One resident in many big rooms (a data directory made by domovoy_make_building, whose token
// is given): initial sync, an incremental sync after a message in one room, and one with nothing new.
asio::awaitable<void> scenario_many_rooms(const std::string& token, bool lazy) {
  auto connection = co_await connect();
  // Element asks for lazy-loaded members; without it an initial sync carries every member event.
  std::string filter = lazy ? "?filter=%7B%22room%22%3A%7B%22state%22%3A%7B%22lazy_load_members%22%3Atrue%7D%7D%7D" : "";
  std::string and_filter = lazy ? "&" + filter.substr(1) : "";
  std::vector<double> initial, incremental, empty;
  std::string since;
  std::string room_id;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    auto reply = co_await call(*connection, bhttp::verb::get, "/_matrix/client/v3/sync" + filter, {}, token);
    initial.push_back(ms_since(t0));
    if (reply.status != 200) throw std::runtime_error("initial sync failed: " + boost::json::serialize(reply.body));
    since = std::string(reply.body.at("next_batch").as_string());
    const auto& joined = reply.body.at("rooms").at("join").as_object();
    if (joined.empty()) throw std::runtime_error("the resident is in no room");
    room_id = std::string(joined.begin()->key());
    if (i == 0) std::cout << "many rooms: " << joined.size() << " joined rooms\n";
  }
  for (int i = 0; i < 20; ++i) {
    co_await call(*connection, bhttp::verb::put,
                  "/_matrix/client/v3/rooms/" + room_id + "/send/m.room.message/m" + run_id() + std::to_string(i),
                  message_body(i), token);
    auto t0 = Clock::now();
    auto reply = co_await call(*connection, bhttp::verb::get,
                               "/_matrix/client/v3/sync?timeout=0&since=" + since + and_filter, {}, token);
    incremental.push_back(ms_since(t0));
    since = std::string(reply.body.at("next_batch").as_string());
    t0 = Clock::now();
    reply = co_await call(*connection, bhttp::verb::get, "/_matrix/client/v3/sync?timeout=0&since=" + since + and_filter,
                          {}, token);
    empty.push_back(ms_since(t0));
  }
  std::cout << std::fixed << std::setprecision(2) << "many rooms" << (lazy ? " (lazy-loaded members)" : "")
            << ": initial sync first " << initial.front()
            << " ms, median of 5 " << percentile(initial, 50) << " ms; incremental after a message median "
            << percentile(incremental, 50) << " ms, p99 " << percentile(incremental, 99)
            << " ms; incremental with nothing new median " << percentile(empty, 50) << " ms\n";
}

asio::awaitable<void> scenario_versions(int connections, int seconds) {
  auto executor = co_await asio::this_coro::executor;
  long total = 0;
  int finished = 0;
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  asio::steady_timer done(executor, Clock::time_point::max());
  auto start = Clock::now();
  for (int c = 0; c < connections; ++c) {
    asio::co_spawn(executor, [&]() -> asio::awaitable<void> {
      auto connection = co_await connect();
      while (Clock::now() < deadline) {
        auto reply = co_await call(*connection, bhttp::verb::get, std::string("/_matrix/client/versions"));
        if (reply.status == 200) ++total;
      }
      if (++finished == connections) done.cancel();
    }, asio::detached);
  }
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::cout << std::fixed << std::setprecision(0) << "GET /versions: " << connections << " connections, "
            << static_cast<double>(total) / (ms_since(start) / 1000.0) << " requests/s\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  g_port = static_cast<unsigned short>(std::stoi(args.count("--port") ? args["--port"] : "8008"));
  g_server_pid = args.count("--server-pid") ? std::stoi(args["--server-pid"]) : 0;
  std::string scenario = args.count("--scenario") ? args["--scenario"] : "all";
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  return run_scenarios("load driver", [&]() -> asio::awaitable<void> {
    // Idle long-polls first, so their memory is measured on a server that has done nothing else.
    if (scenario == "all" || scenario == "idle") co_await scenario_idle(10000);
    if (scenario == "all" || scenario == "versions") co_await scenario_versions(64, 5);
    if (scenario == "all" || scenario == "sends") co_await scenario_sends(64, 10);
    if (scenario == "all" || scenario == "wakeup") co_await scenario_wakeup(100, 10, 200);
    if (scenario == "all" || scenario == "initial-sync") co_await scenario_initial_sync(50, 1000);
    if (scenario == "many-rooms") {
      co_await scenario_many_rooms(args["--token"], true);
      co_await scenario_many_rooms(args["--token"], false);
    }
    if (scenario == "all" || scenario == "big-room") {
      std::vector<int> sizes{500, 1000, 2000};
      if (args.count("--members")) sizes = {std::stoi(args["--members"])};
      for (int members : sizes) co_await scenario_big_room(members, std::min(members, 500), 20);
    }
  });
}
