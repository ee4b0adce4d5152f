// Builds a database of many events through the room engine itself (unsynced writes, no HTTP),
// so the start-up benchmark has a realistic 1,000,000-event data directory to open.
//   domovoy_make_db DATA_DIR [EVENTS] [ROOMS]
#include <sodium.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "bench/bench_engine.hpp"
#include "homeserver/core/json.hpp"

int main(int argc, char** argv) {
  using namespace domovoy;
  if (argc < 2 || sodium_init() < 0) {
    std::cerr << "usage: domovoy_make_db DATA_DIR [EVENTS] [ROOMS]\n";
    return 2;
  }
  std::string data_dir = argv[1];
  long events = argc > 2 ? std::stol(argv[2]) : 1000000;
  long room_count = argc > 3 ? std::stol(argv[3]) : 100;
  bench::BenchEngine engine(data_dir);
  auto& rooms = engine.rooms;
  const auto* version = find_room_version("12");
  std::vector<std::string> room_ids;
  for (long r = 0; r < room_count; ++r) {
    std::string creator = "@owner" + std::to_string(r) + ":localhost";
    std::vector<EventDraft> drafts{
        {"m.room.member", creator, creator, json::object{{"membership", "join"}}, {}, {}},
        {"m.room.join_rules", std::string(), creator, json::object{{"join_rule", "public"}}, {}, {}}};
    room_ids.push_back(rooms.create_room(*version, creator, {}, drafts));
  }
  auto start = std::chrono::steady_clock::now();
  unsigned workers = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (long n = w; n < events; n += workers) {
        auto r = static_cast<std::size_t>(n % room_count);
        std::string sender = "@owner" + std::to_string(r) + ":localhost";
        rooms.send(room_ids[r], EventDraft{"m.room.message", std::nullopt, sender,
                                           json::object{{"msgtype", "m.text"}, {"body", "сообщение " + std::to_string(n)}},
                                           {}, {}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "made " << events << " events in " << room_count << " rooms in " << seconds << " s ("
            << static_cast<double>(events) / seconds << " events/s, unsynced)\n";
  return 0;
}
