// Housing and appservice load against a running domovoy (bench/run-housing.sh starts it):
//   provisioning: import N buildings through the admin API, issue codes, verify M residents
//     (registered through the bench appservice, verified with its as_token and ?user_id=) with
//     C at once; residents per second, latency, RSS;
//   delivery: S senders send messages into a room the appservice's user is in; the driver is the
//     appservice (it answers PUT /_matrix/app/v1/transactions) and measures events pushed per
//     second and the lag from each send's 200 (the event durable) to its arrival.
//   domovoy_housing_load --port P --server-pid PID --as-port Q --as-token T --hs-token H --admin-token A
//                        [--buildings 1000] [--residents 100000] [--concurrency 32] [--scenario all|provisioning|delivery]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/load_common.hpp"

using namespace domovoy::bench;

namespace {

std::string g_as_token, g_hs_token, g_admin_token;

// Every call of this driver carries a token; the shared call() sends it as given.
Reply expect_ok(Reply reply, const std::string& what) {
  if (reply.status != 200) throw std::runtime_error(what + " failed: " + boost::json::serialize(reply.body));
  return reply;
}

std::string building_id(int i) {
  std::ostringstream id;
  id << std::hex << std::setw(8) << std::setfill('0') << i << "-0000-4000-8000-" << std::setw(12) << i;
  return id.str();
}

// N buildings of 100 apartments in 4 entrances, on a grid 300 m apart (neighbourhoods of ~4).
std::string registry(int buildings) {
  boost::json::array list;
  for (int b = 0; b < buildings; ++b) {
    boost::json::array apartments;
    for (int a = 1; a <= 100; ++a) {
      object owner{{"name", "Собственник " + std::to_string(a)}, {"share", "1"}};
      apartments.push_back(object{{"number", std::to_string(a)}, {"entrance", 1 + (a - 1) / 25}, {"floor", 1 + (a - 1) % 25 / 5},
                                  {"area", std::to_string(40 + a % 40) + ".50"},
                                  {"account", std::to_string(7800000000000LL + b * 1000 + a)},
                                  {"owners", boost::json::array{owner}}});
    }
    list.push_back(object{{"id", building_id(b)}, {"slug", "bench-" + std::to_string(b)},
                          {"address", "г. Санкт-Петербург, ул. Тестовая, д. " + std::to_string(b + 1)},
                          {"lat", 59.9 + (b / 40) * 0.0027}, {"lon", 30.2 + (b % 40) * 0.0054},
                          {"management_company", "uk-bench"}, {"entrances", boost::json::array{1, 2, 3, 4}},
                          {"apartments", std::move(apartments)}});
  }
  object document{{"format", "domovoy-registry/1"},
                  {"region", object{{"code", "78"}, {"name", "Санкт-Петербург"},
                                    {"inspectorate", object{{"name", "ГЖИ"}, {"staff", boost::json::array{}}}}}},
                  {"management_companies", boost::json::array{object{{"id", "uk-bench"}, {"name", "УК"}, {"staff", boost::json::array{}}}}},
                  {"buildings", std::move(list)}};
  return boost::json::serialize(document);
}

asio::awaitable<void> scenario_provisioning(int buildings, int residents, int concurrency) {
  auto admin = co_await connect();
  auto text = registry(buildings);
  auto started = Clock::now();
  auto imported = expect_ok(co_await call(*admin, bhttp::verb::post, "/_domovoy/admin/v1/registry", text, g_admin_token), "import");
  double import_s = ms_since(started) / 1000;
  std::cout << "provisioning: imported " << buildings << " buildings (" << text.size() / 1024 << " KiB, "
            << boost::json::serialize(imported.body) << ") in " << std::fixed << std::setprecision(1) << import_s
            << " s, " << buildings / import_s << " buildings/s, RSS " << rss_kib(g_server_pid) / 1024 << " MB" << std::endl;
  // Owner codes for the first residents / buildings apartments of each building.
  std::vector<std::string> codes;
  int per_building = std::max(1, residents / buildings);
  for (int b = 0; b < buildings && static_cast<int>(codes.size()) < residents; ++b) {
    auto body = boost::json::serialize(object{{"role", "owner"}});
    auto issued = expect_ok(co_await call(*admin, bhttp::verb::post, "/_domovoy/admin/v1/buildings/" + building_id(b) + "/codes",
                                          body, g_admin_token), "codes");
    int taken = 0;
    for (const auto& code : issued.body.at("codes").as_array()) {
      if (taken++ >= per_building || static_cast<int>(codes.size()) >= residents) break;
      codes.emplace_back(code.at("code").as_string());
    }
  }
  // Register (as the appservice: no password hashing in the measurement) and verify.
  std::vector<double> latencies;
  std::size_t next = 0;
  auto cpu_before = cpu_seconds(g_server_pid);
  started = Clock::now();
  auto worker = [&](int id) -> asio::awaitable<void> {
    auto connection = co_await connect();
    while (true) {
      auto index = next++;
      if (index >= codes.size()) break;
      std::string localpart = "_bench_" + std::to_string(id) + "_" + std::to_string(index);
      auto register_body = boost::json::serialize(object{{"type", "m.login.application_service"}, {"username", localpart}, {"inhibit_login", true}});
      expect_ok(co_await call(*connection, bhttp::verb::post, "/_matrix/client/v3/register", register_body, g_as_token), "register");
      auto verify_body = boost::json::serialize(object{{"code", codes[index]}});
      auto begin = Clock::now();
      expect_ok(co_await call(*connection, bhttp::verb::post, "/_domovoy/client/v1/verify?user_id=%40" + localpart + "%3Alocalhost",
                              verify_body, g_as_token), "verify");
      latencies.push_back(ms_since(begin));
    }
  };
  auto executor = co_await asio::this_coro::executor;
  std::vector<std::future<void>> done;
  for (int i = 0; i < concurrency; ++i) done.push_back(asio::co_spawn(executor, worker(i), asio::use_future));
  asio::steady_timer wait(executor);
  for (auto& future : done)
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      wait.expires_after(std::chrono::milliseconds(50));
      co_await wait.async_wait(asio::use_awaitable);
    }
  for (auto& future : done) future.get();
  double seconds = ms_since(started) / 1000;
  std::cout << "provisioning: verified " << codes.size() << " residents (registration included) in " << seconds << " s: "
            << codes.size() / seconds << " residents/s with " << concurrency << " at once; verify p50 "
            << percentile(latencies, 50) << " ms, p99 " << percentile(latencies, 99) << " ms; server CPU "
            << std::setprecision(2) << (cpu_seconds(g_server_pid) - cpu_before) * 1000 / static_cast<double>(codes.size())
            << " ms per resident; RSS " << rss_kib(g_server_pid) / 1024 << " MB" << std::endl;
}

// The appservice side: records when each event id arrives.
struct Arrivals {
  std::mutex mutex;
  std::unordered_map<std::string, Clock::time_point> at;
  std::size_t transactions = 0;
};

asio::awaitable<void> serve_appservice(tcp::socket socket, std::shared_ptr<Arrivals> shared) {
  auto& arrivals = *shared;  // shared: the server keeps its connections open after the scenario
  beast::flat_buffer buffer;
  beast::tcp_stream stream(std::move(socket));
  try {
    while (true) {
      bhttp::request<bhttp::string_body> request;
      co_await bhttp::async_read(stream, buffer, request, asio::use_awaitable);
      auto now = Clock::now();
      if (request.method() == bhttp::verb::put && request[bhttp::field::authorization] == "Bearer " + g_hs_token) {
        boost::system::error_code ec;
        auto body = boost::json::parse(request.body(), ec);
        std::lock_guard lock(arrivals.mutex);
        ++arrivals.transactions;
        if (!ec)
          for (const auto& event : body.at("events").as_array())
            arrivals.at.emplace(std::string(event.at("event_id").as_string()), now);
      }
      bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
      response.set(bhttp::field::content_type, "application/json");
      response.body() = "{}";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await bhttp::async_write(stream, response, asio::use_awaitable);
      if (!request.keep_alive()) break;
    }
  } catch (const std::exception&) {
  }
}

asio::awaitable<void> scenario_delivery(unsigned short as_port, int senders, int seconds) {
  auto executor = co_await asio::this_coro::executor;
  auto shared = std::make_shared<Arrivals>();
  auto& arrivals = *shared;
  auto acceptor = std::make_shared<tcp::acceptor>(executor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), as_port));
  asio::co_spawn(executor, [acceptor, shared, executor]() -> asio::awaitable<void> {
    while (true) {
      auto socket = co_await acceptor->async_accept(asio::use_awaitable);
      asio::co_spawn(executor, serve_appservice(std::move(socket), shared), asio::detached);
    }
  }, asio::detached);
  auto setup = co_await connect();
  // One room per sender, each with the appservice's user as a member.
  std::vector<std::string> rooms;
  for (int i = 0; i < senders; ++i) {
    auto body = boost::json::serialize(object{{"preset", "public_chat"}});
    auto created = expect_ok(co_await call(*setup, bhttp::verb::post, "/_matrix/client/v3/createRoom", body, g_as_token), "createRoom");
    rooms.emplace_back(created.body.at("room_id").as_string());
  }
  std::mutex sent_mutex;
  std::vector<std::pair<std::string, Clock::time_point>> sent;
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  auto sender = [&](int id) -> asio::awaitable<void> {
    auto connection = co_await connect();
    for (int n = 0; Clock::now() < deadline; ++n) {
      auto body = boost::json::serialize(object{{"msgtype", "m.text"}, {"body", "Заявка №" + std::to_string(n)}});
      auto reply = expect_ok(co_await call(*connection, bhttp::verb::put,
                                           "/_matrix/client/v3/rooms/" + rooms[id] + "/send/m.room.message/d" + std::to_string(id) + "_" + std::to_string(n),
                                           body, g_as_token), "send");
      std::lock_guard lock(sent_mutex);
      sent.emplace_back(std::string(reply.body.at("event_id").as_string()), Clock::now());
    }
  };
  auto started = Clock::now();
  std::vector<std::future<void>> done;
  for (int i = 0; i < senders; ++i) done.push_back(asio::co_spawn(executor, sender(i), asio::use_future));
  asio::steady_timer wait(executor);
  for (auto& future : done)
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      wait.expires_after(std::chrono::milliseconds(20));
      co_await wait.async_wait(asio::use_awaitable);
    }
  for (auto& future : done) future.get();
  // Wait (bounded) for the last deliveries.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(arrivals.mutex);
      if (arrivals.at.size() >= sent.size()) break;
    }
    wait.expires_after(std::chrono::milliseconds(20));
    co_await wait.async_wait(asio::use_awaitable);
  }
  double span_s = ms_since(started) / 1000;
  std::vector<double> lags;
  std::size_t missing = 0;
  {
    std::lock_guard lock(arrivals.mutex);
    for (const auto& [event_id, at] : sent) {
      auto it = arrivals.at.find(event_id);
      if (it == arrivals.at.end()) ++missing;
      else lags.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(it->second - at).count()));
    }
  }
  std::cout << "delivery: " << sent.size() << " events from " << senders << " senders, " << std::fixed
            << std::setprecision(0) << lags.size() / span_s << " events/s pushed to one appservice in "
            << arrivals.transactions << " transactions; lag from the send's 200 to arrival p50 " << std::setprecision(1)
            << percentile(lags, 50) << " ms, p99 " << percentile(lags, 99) << " ms; " << missing << " missing" << std::endl;
  acceptor->close();
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  auto get = [&](const char* key, const char* fallback) { return args.count(key) ? args[key] : std::string(fallback); };
  g_port = static_cast<unsigned short>(std::stoi(get("--port", "8008")));
  g_server_pid = std::stoi(get("--server-pid", "0"));
  g_as_token = get("--as-token", "");
  g_hs_token = get("--hs-token", "");
  g_admin_token = get("--admin-token", "");
  auto scenario = get("--scenario", "all");
  return run_scenarios("housing load", [&]() -> asio::awaitable<void> {
    if (scenario == "all" || scenario == "delivery")
      co_await scenario_delivery(static_cast<unsigned short>(std::stoi(get("--as-port", "0"))), 16, 10);
    if (scenario == "all" || scenario == "provisioning")
      co_await scenario_provisioning(std::stoi(get("--buildings", "1000")), std::stoi(get("--residents", "100000")),
                                     std::stoi(get("--concurrency", "32")));
  });
}
