// Builds the data directory of a district's worth of big rooms through the room engine itself
// (unsynced writes, no HTTP): MEMBERS users each joined to ROOMS rooms, with MESSAGES messages
// in each, and an access token for the first user, so that the load driver can measure one
// resident's initial and incremental /sync across many rooms of thousands of members.
//   domovoy_make_building DATA_DIR [ROOMS] [MEMBERS] [MESSAGES]   (prints the token)
#include <sodium.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "bench/bench_engine.hpp"
#include "homeserver/accounts/account_store.hpp"
#include "homeserver/core/json.hpp"

int main(int argc, char** argv) {
  using namespace domovoy;
  if (argc < 2 || sodium_init() < 0) {
    std::cerr << "usage: domovoy_make_building DATA_DIR [ROOMS] [MEMBERS] [MESSAGES]\n";
    return 2;
  }
  std::string data_dir = argv[1];
  long room_count = argc > 2 ? std::stol(argv[2]) : 200;
  long members = argc > 3 ? std::stol(argv[3]) : 2000;
  long messages = argc > 4 ? std::stol(argv[4]) : 20;
  bench::BenchEngine engine(data_dir);
  auto& rooms = engine.rooms;
  AccountStore accounts(*engine.database);
  auto user = [](long n) { return "@resident" + std::to_string(n) + ":localhost"; };
  auto start = std::chrono::steady_clock::now();
  for (long n = 0; n < members; ++n) accounts.create(user(n), "");
  auto token = accounts.issue_token(user(0), std::string("BENCH"), std::nullopt, "127.0.0.1");
  const auto* version = find_room_version("12");
  std::vector<std::string> room_ids;
  for (long r = 0; r < room_count; ++r) {
    std::vector<EventDraft> drafts{
        {"m.room.member", user(0), user(0), json::object{{"membership", "join"}}, {}, {}},
        {"m.room.join_rules", std::string(), user(0), json::object{{"join_rule", "public"}}, {}, {}},
        {"m.room.name", std::string(), user(0), json::object{{"name", "Дом " + std::to_string(r)}}, {}, {}}};
    room_ids.push_back(rooms.create_room(*version, user(0), {}, drafts));
  }
  unsigned workers = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (auto r = static_cast<long>(w); r < room_count; r += workers) {
        const auto& room_id = room_ids[static_cast<std::size_t>(r)];
        for (long n = 1; n < members; ++n)
          rooms.send(room_id, EventDraft{"m.room.member", user(n), user(n), json::object{{"membership", "join"}}, {}, {}});
        for (long m = 0; m < messages; ++m)
          rooms.send(room_id, EventDraft{"m.room.message", std::nullopt, user(1 + m % (members - 1)),
                                         json::object{{"msgtype", "m.text"}, {"body", "Объявление " + std::to_string(m)}},
                                         {}, {}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "made " << room_count << " rooms of " << members << " members and " << messages << " messages in "
            << seconds << " s (unsynced)\n";
  std::cout << token->access_token << "\n";
  return 0;
}
