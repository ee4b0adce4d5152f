// The bot round trip against running `domovoy serve` and `domovoy housing` (bench/run-bots.sh):
// N verified residents, each with a direct room with @meters, send `!счётчики` at the same
// moment; each round trip is timed from the send to the reply seen in the resident's /sync.
//   domovoy_bots_load --port P --admin-token T --server-pid S --bots-pid B [--residents 100] [--rounds 10]
#include <cstdlib>
#include <future>
#include <iomanip>
#include <iostream>

#include "bench/load_common.hpp"

using namespace domovoy::bench;

namespace {

std::string g_admin_token;
int g_bots_pid = 0;
// Named strings: g++ 12 cannot pass a literal to a coroutine's reference parameter.
const std::string kGreeting = "Я принимаю";
const std::string kMeters = "Счётчики — ";

Reply expect_ok(Reply reply, const char* what) {
  if (reply.status != 200) throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(reply.status) + " " + boost::json::serialize(reply.body));
  return reply;
}

std::string encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') out += static_cast<char>(c);
    else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

struct Resident {
  std::string user_id, token, room, since;
  std::unique_ptr<Connection> connection;
};

// Syncs until a message of @meters starting with `prefix` is in the resident's room.
asio::awaitable<void> await_reply(Resident& resident, const std::string& prefix) {
  while (true) {
    auto target = "/_matrix/client/v3/sync?timeout=10000&since=" + encode(resident.since);
    auto synced = expect_ok(co_await call(*resident.connection, bhttp::verb::get, target, {}, resident.token), "sync");
    resident.since = std::string(synced.body.at("next_batch").as_string());
    const auto* rooms = synced.body.as_object().if_contains("rooms");
    const auto* join = rooms ? rooms->as_object().if_contains("join") : nullptr;
    const auto* room = join ? join->as_object().if_contains(resident.room) : nullptr;
    if (!room) continue;
    for (const auto& event : room->at("timeline").at("events").as_array()) {
      const auto& e = event.as_object();
      if (e.at("sender").as_string() != "@meters:localhost" || e.at("type").as_string() != "m.room.message") continue;
      std::string body(e.at("content").at("body").as_string());
      if (body.rfind(prefix, 0) == 0) co_return;
    }
  }
}

asio::awaitable<void> run(int count, int rounds) {
  auto admin = co_await connect();
  auto registry = expect_ok(co_await call(*admin, bhttp::verb::get, "/_domovoy/admin/v1/registry", {}, g_admin_token), "registry");
  std::vector<std::pair<std::string, std::string>> apartments;  // building, apartment
  for (const auto& building : registry.body.at("buildings").as_array())
    for (const auto& apartment : building.at("apartments").as_array())
      apartments.emplace_back(std::string(building.at("id").as_string()), std::string(apartment.at("number").as_string()));
  std::vector<Resident> residents(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    auto& resident = residents[static_cast<std::size_t>(i)];
    resident.connection = co_await connect();
    auto name = "bench-resident-" + std::to_string(i) + "-" + std::to_string(::getpid());
    auto register_body = boost::json::serialize(
        object{{"username", name}, {"password", "bench-password-1"}, {"auth", object{{"type", "m.login.dummy"}}}});
    auto registered = expect_ok(co_await call(*resident.connection, bhttp::verb::post, "/_matrix/client/v3/register", register_body),
                                "register");
    resident.user_id = std::string(registered.body.at("user_id").as_string());
    resident.token = std::string(registered.body.at("access_token").as_string());
    const auto& home = apartments[static_cast<std::size_t>(i) % apartments.size()];
    std::string role = i < static_cast<int>(apartments.size()) ? "owner" : "tenant";
    object verification{{"user_id", resident.user_id}, {"apartment", home.second}, {"role", role}};
    auto verify_target = "/_domovoy/admin/v1/buildings/" + home.first + "/residents";
    expect_ok(co_await call(*admin, bhttp::verb::post, verify_target, boost::json::serialize(verification), g_admin_token),
              "verify");
    boost::json::array invite;
    invite.emplace_back("@meters:localhost");
    object room{{"invite", std::move(invite)}, {"is_direct", true}, {"preset", "trusted_private_chat"}};
    auto created = expect_ok(co_await call(*resident.connection, bhttp::verb::post, "/_matrix/client/v3/createRoom",
                                           boost::json::serialize(room), resident.token),
                             "createRoom");
    resident.room = std::string(created.body.at("room_id").as_string());
    auto first = expect_ok(co_await call(*resident.connection, bhttp::verb::get, "/_matrix/client/v3/sync?timeout=0", {}, resident.token), "sync");
    resident.since = std::string(first.body.at("next_batch").as_string());
    co_await await_reply(resident, kGreeting);  // the bot joined and greeted
  }
  std::cout << "bots round trip: " << count << " verified residents, each in a direct room with @meters" << std::endl;
  auto executor = co_await asio::this_coro::executor;
  std::vector<double> latencies;
  auto cpu_server = cpu_seconds(g_server_pid), cpu_bots = cpu_seconds(g_bots_pid);
  auto started = Clock::now();
  auto one = [&](int i, int round) -> asio::awaitable<void> {
    auto& resident = residents[static_cast<std::size_t>(i)];
    auto sender = co_await connect();
    auto begin = Clock::now();
    auto target = "/_matrix/client/v3/rooms/" + encode(resident.room) + "/send/m.room.message/b" + std::to_string(round);
    auto body = boost::json::serialize(object{{"msgtype", "m.text"}, {"body", "!счётчики"}});
    expect_ok(co_await call(*sender, bhttp::verb::put, target, body, resident.token), "send");
    co_await await_reply(resident, kMeters);
    latencies.push_back(ms_since(begin));
  };
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::future<void>> done;
    for (int i = 0; i < count; ++i) done.push_back(asio::co_spawn(executor, one(i, round), asio::use_future));
    asio::steady_timer wait(executor);
    for (auto& future : done)
      while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        wait.expires_after(std::chrono::milliseconds(2));
        co_await wait.async_wait(asio::use_awaitable);
      }
    for (auto& future : done) future.get();
  }
  auto seconds = ms_since(started) / 1000;
  auto commands = static_cast<double>(latencies.size());
  std::cout << std::fixed << std::setprecision(1) << "bots round trip: " << latencies.size() << " commands (" << rounds
            << " rounds of " << count << " at once): p50 " << percentile(latencies, 50) << " ms, p99 "
            << percentile(latencies, 99) << " ms, max " << percentile(latencies, 100) << " ms; " << commands / seconds
            << " commands/s; CPU per command: homeserver " << std::setprecision(2)
            << (cpu_seconds(g_server_pid) - cpu_server) * 1000 / commands << " ms, bots "
            << (cpu_seconds(g_bots_pid) - cpu_bots) * 1000 / commands << " ms" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  int residents = 100, rounds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") g_port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    else if (flag == "--admin-token") g_admin_token = argv[i + 1];
    else if (flag == "--server-pid") g_server_pid = std::atoi(argv[i + 1]);
    else if (flag == "--bots-pid") g_bots_pid = std::atoi(argv[i + 1]);
    else if (flag == "--residents") residents = std::atoi(argv[i + 1]);
    else if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
  }
  return run_scenarios("domovoy_bots_load", [&] { return run(residents, rounds); });
}
