#pragma once
// The room engine with its storage, assembled for the tools that build benchmark data
// directories directly (unsynced writes, no HTTP).
#include <filesystem>
#include <memory>
#include <string>

#include "federation/server_signing_key.hpp"
#include "homeserver/rooms/room_engine.hpp"

namespace domovoy::bench {

struct BenchEngine {
  explicit BenchEngine(const std::string& data_dir)
      : database((std::filesystem::create_directories(data_dir), storage::Database::open({data_dir + "/db", false, 64}))),
        identity{"localhost", federation::load_or_create_signing_key(data_dir)},
        stream(*database),
        states(*database),
        rooms(*database, identity, stream, states) {}

  std::unique_ptr<storage::Database> database;
  ServerIdentity identity;
  StreamTracker stream;
  StateStore states;
  RoomEngine rooms;
};

}  // namespace domovoy::bench
