// PowerLevels as the auth rules read them: the spec's defaults (client-server-api:
// m.room.power_levels), room creators (v10 `creator`, v11 sender, v12 additional_creators).
#include <gtest/gtest.h>

#include "homeserver/rooms/power_levels.hpp"
#include "homeserver/tests/auth_fixture.hpp"

namespace domovoy {
namespace {

using namespace domovoy::test;

std::shared_ptr<Event> power_event(Room& room, boost::json::object content) {
  return room.event("m.room.power_levels", "", kCreator, std::move(content));
}

TEST(PowerLevels, DefaultsWithoutPowerLevelsEvent) {
  for (const char* id : {"10", "11"}) {
    Room room(room_version(id));
    PowerLevels power(room.create().get(), nullptr, room.version());
    EXPECT_EQ(power.user_level(kCreator), 100) << id;
    EXPECT_EQ(power.user_level(kAlice), 0) << id;
    EXPECT_EQ(power.event_level("m.room.topic", true), 0) << id;
    EXPECT_EQ(power.event_level("m.room.message", false), 0) << id;
    EXPECT_EQ(power.ban(), 50) << id;
    EXPECT_EQ(power.kick(), 50) << id;
    EXPECT_EQ(power.redact(), 50) << id;
    EXPECT_EQ(power.invite(), 0) << id;
  }
}

TEST(PowerLevels, DefaultsWithEmptyPowerLevelsEvent) {
  for (const char* id : {"10", "11"}) {
    Room room(room_version(id));
    auto event = power_event(room, {});
    PowerLevels power(room.create().get(), event.get(), room.version());
    EXPECT_EQ(power.user_level(kCreator), 0) << id << ": the event lists nobody";
    EXPECT_EQ(power.user_level(kAlice), 0) << id;
    EXPECT_EQ(power.event_level("m.room.topic", true), 50) << id;
    EXPECT_EQ(power.event_level("m.room.message", false), 0) << id;
    EXPECT_EQ(power.ban(), 50) << id;
    EXPECT_EQ(power.kick(), 50) << id;
    EXPECT_EQ(power.redact(), 50) << id;
    EXPECT_EQ(power.invite(), 0) << id;
  }
}

TEST(PowerLevels, ReadsEveryKey) {
  Room room(room_version("11"));
  auto event = power_event(room, test::parse_object(R"({"users":{"@alice:a.example":42},"users_default":7,
      "events":{"m.room.name":33,"m.reaction":3},"events_default":5,"state_default":60,
      "ban":61,"kick":62,"redact":63,"invite":64})"));
  PowerLevels power(room.create().get(), event.get(), room.version());
  EXPECT_EQ(power.user_level(kAlice), 42);
  EXPECT_EQ(power.user_level(kBob), 7);
  EXPECT_EQ(power.event_level("m.room.name", true), 33);
  EXPECT_EQ(power.event_level("m.reaction", false), 3);
  EXPECT_EQ(power.event_level("m.room.topic", true), 60);
  EXPECT_EQ(power.event_level("m.room.message", false), 5);
  EXPECT_EQ(power.ban(), 61);
  EXPECT_EQ(power.kick(), 62);
  EXPECT_EQ(power.redact(), 63);
  EXPECT_EQ(power.invite(), 64);
}

TEST(PowerLevels, V12CreatorsAreInfinite) {
  Room room(room_version("12"), {{"additional_creators", boost::json::array{kAlice}}});
  auto event = power_event(room, test::parse_object(R"({"users":{"@mod:a.example":100},"users_default":0})"));
  for (const Event* power_levels : {static_cast<const Event*>(nullptr), static_cast<const Event*>(event.get())}) {
    PowerLevels power(room.create().get(), power_levels, room.version());
    EXPECT_EQ(power.user_level(kCreator), kCreatorPower);
    EXPECT_EQ(power.user_level(kAlice), kCreatorPower);
    EXPECT_LT(power.user_level(kMod), kCreatorPower);
    EXPECT_TRUE(power.is_creator(kAlice));
    EXPECT_FALSE(power.is_creator(kMod));
  }
}

TEST(RoomCreators, V10UsesContentCreator) {
  Room room(room_version("10"), {{"creator", kCarol}});
  EXPECT_EQ(room_creators(*room.create(), room.version()), std::set<std::string>{kCarol});
}

TEST(RoomCreators, V11UsesTheSenderAndIgnoresContent) {
  Room room(room_version("11"), {{"creator", kCarol}, {"additional_creators", boost::json::array{kAlice}}});
  EXPECT_EQ(room_creators(*room.create(), room.version()), std::set<std::string>{kCreator});
}

TEST(RoomCreators, V12AddsAdditionalCreators) {
  Room room(room_version("12"), {{"additional_creators", boost::json::array{kAlice, kBob}}});
  EXPECT_EQ(room_creators(*room.create(), room.version()), (std::set<std::string>{kCreator, kAlice, kBob}));
}

}  // namespace
}  // namespace domovoy
