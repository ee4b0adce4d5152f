#pragma once
// A real RoomEngine on a temporary RocksDB, built the way app/homeserver.cpp builds it
// (Database, ServerIdentity with a fresh signing key, StreamTracker, StateStore), with helpers
// that create rooms and send drafts as clients of this server would.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "homeserver/core/api_error.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/rooms/room_engine.hpp"
#include "homeserver/rooms/state_store.hpp"
#include "homeserver/rooms/stream_tracker.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"

namespace domovoy::test {

inline constexpr const char* kServerName = "example.org";

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : identity{kServerName, SigningKey::generate("ed25519:test")} { open(); }

  // Opens (or reopens) the database and everything on it; a reopened engine knows only what is stored.
  void open() {
    rooms.reset();
    states.reset();
    stream.reset();
    database.reset();
    database = storage::Database::open({dir.str("db"), false, 8});
    stream = std::make_unique<StreamTracker>(*database);
    states = std::make_unique<StateStore>(*database);
    rooms = std::make_unique<RoomEngine>(*database, identity, *stream, *states);
  }

  static const RoomVersion& version(std::string_view id = "12") {
    const auto* found = find_room_version(id);
    if (!found) throw std::runtime_error("unknown room version");
    return *found;
  }

  static EventDraft state_draft(const std::string& sender, const std::string& type, const std::string& state_key,
                                boost::json::object content) {
    EventDraft draft;
    draft.type = type;
    draft.state_key = state_key;
    draft.sender = sender;
    draft.content = std::move(content);
    return draft;
  }
  static EventDraft member_draft(const std::string& sender, const std::string& target, const std::string& membership,
                                 boost::json::object extra = {}) {
    extra["membership"] = membership;
    return state_draft(sender, "m.room.member", target, std::move(extra));
  }

  // A room of `creator` with the given join rule (as /createRoom makes one: join, then rules).
  std::string create_room(const std::string& creator, boost::json::object join_rules = {{"join_rule", "public"}},
                          std::string_view room_version = "12") {
    std::vector<EventDraft> drafts{member_draft(creator, creator, "join"),
                                   state_draft(creator, "m.room.join_rules", "", std::move(join_rules))};
    return rooms->create_room(version(room_version), creator, {}, drafts);
  }

  EventPtr send(const std::string& room_id, EventDraft draft) { return rooms->send(room_id, draft); }
  EventPtr join(const std::string& room_id, const std::string& user, boost::json::object extra = {}) {
    return send(room_id, member_draft(user, user, "join", std::move(extra)));
  }
  EventPtr leave(const std::string& room_id, const std::string& user) {
    return send(room_id, member_draft(user, user, "leave"));
  }
  EventPtr invite(const std::string& room_id, const std::string& by, const std::string& user) {
    return send(room_id, member_draft(by, user, "invite"));
  }
  EventPtr message(const std::string& room_id, const std::string& sender, boost::json::object content) {
    EventDraft draft;
    draft.type = "m.room.message";
    draft.sender = sender;
    draft.content = std::move(content);
    return send(room_id, std::move(draft));
  }
  EventPtr text(const std::string& room_id, const std::string& sender, const std::string& body = "hello") {
    return message(room_id, sender, {{"msgtype", "m.text"}, {"body", body}});
  }

  TempDir dir;
  ServerIdentity identity;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<StreamTracker> stream;
  std::unique_ptr<StateStore> states;
  std::unique_ptr<RoomEngine> rooms;
};

// Runs `call`, which must throw ApiError with this status and errcode.
template <typename Call>
::testing::AssertionResult ThrowsApiError(Call call, unsigned status, const std::string& errcode) {
  try {
    call();
  } catch (const ApiError& error) {
    if (error.status() == status && error.errcode() == errcode) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "ApiError " << error.status() << " " << error.errcode() << ": "
                                         << error.what();
  }
  return ::testing::AssertionFailure() << "no ApiError";
}

}  // namespace domovoy::test
