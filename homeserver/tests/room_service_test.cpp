// RoomService (rooms/room_service.hpp): a room, its aliases, its directory entry and its
// idempotency key are one write (a refused initial state leaves no room and no alias), a keyed
// creation made twice makes one room, and membership changes are checked as the endpoints need.
#include <gtest/gtest.h>

#include "homeserver/rooms/room_directory.hpp"
#include "homeserver/rooms/room_service.hpp"
#include "homeserver/tests/engine_fixture.hpp"

namespace domovoy {
namespace {

using test::ThrowsApiError;

const std::string kAlice = "@alice:example.org";
const std::string kBob = "@bob:example.org";

class RoomServiceTest : public test::EngineTest {
 protected:
  RoomServiceTest() { open_service(); }

  void open_service() {
    service.reset();
    directory = std::make_unique<RoomDirectory>(*database);
    service = std::make_unique<RoomService>(*database, *rooms, *directory, test::kServerName,
                                            [this](const std::string& user) -> std::optional<MemberProfile> {
                                              if (user == kAlice) return MemberProfile{"Alice", ""};
                                              if (user == kBob) return MemberProfile{"", ""};
                                              return std::nullopt;
                                            });
  }
  void reopen() {
    service.reset();
    directory.reset();
    open();
    open_service();
  }
  RoomCreation creation(std::string alias = {}) {
    RoomCreation made;
    made.creator = kAlice;
    made.version = &version("12");
    if (!alias.empty()) made.aliases.push_back(alias);
    return made;
  }
  std::size_t room_count() { return rooms->all_rooms().size(); }

  std::unique_ptr<RoomDirectory> directory;
  std::unique_ptr<RoomService> service;
};

TEST_F(RoomServiceTest, CreatesRoomWithAliasAndListingInOneWrite) {
  auto made = creation("#hall:example.org");
  made.visibility = "public";
  made.name = "Hall";
  auto created = service->create_room(made);
  ASSERT_TRUE(created.created);
  reopen();  // what follows is read from the database, not from memory
  auto alias = directory->lookup("#hall:example.org");
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->room_id, created.room_id);
  EXPECT_EQ(alias->creator, kAlice);
  EXPECT_EQ(directory->aliases_of(created.room_id), std::vector<std::string>{"#hall:example.org"});
  EXPECT_TRUE(directory->is_listed(created.room_id));
  auto canonical = rooms->state_event(rooms->current_state(created.room_id), "m.room.canonical_alias", "");
  ASSERT_TRUE(canonical);
  EXPECT_EQ(canonical->content().at("alias").as_string(), "#hall:example.org");
  EXPECT_EQ(rooms->current_membership(created.room_id, kAlice), "join");
  auto member = rooms->state_event(rooms->current_state(created.room_id), "m.room.member", kAlice);
  EXPECT_EQ(member->content().at("displayname").as_string(), "Alice");
}

TEST_F(RoomServiceTest, RefusedInitialStateWritesNothing) {
  auto made = creation("#refused:example.org");
  // Alice lowers herself to 0 in the power levels, so her topic (state_default 50) is refused
  // by the auth rules after the create, join and power levels were already built.
  made.version = &version("10");
  made.initial_state.push_back({"m.room.topic", "", {{"topic", "x"}}});
  made.power_level_content_override = boost::json::object{{"users", boost::json::object{}}};
  EXPECT_TRUE(ThrowsApiError([&] { service->create_room(made); }, 400, "M_INVALID_ROOM_STATE"));
  EXPECT_EQ(room_count(), 0u);
  EXPECT_FALSE(directory->lookup("#refused:example.org"));
  EXPECT_TRUE(rooms->rooms_of_user(kAlice).empty());
  reopen();
  EXPECT_EQ(room_count(), 0u);
}

TEST_F(RoomServiceTest, TakenAliasIsRefusedBeforeAnythingIsMade) {
  service->create_room(creation("#taken:example.org"));
  EXPECT_TRUE(ThrowsApiError([&] { service->create_room(creation("#taken:example.org")); }, 400, "M_ROOM_IN_USE"));
  EXPECT_EQ(room_count(), 1u);
}

TEST_F(RoomServiceTest, KeyedCreationMakesOneRoomAcrossRestarts) {
  auto made = creation();
  made.idempotency_key = "building:1:general";
  auto first = service->create_room(made);
  EXPECT_TRUE(first.created);
  auto second = service->create_room(made);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.room_id, first.room_id);
  reopen();
  auto third = service->create_room(made);
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.room_id, first.room_id);
  EXPECT_EQ(room_count(), 1u);
}

TEST_F(RoomServiceTest, MembershipChangesAreChecked) {
  auto room = service->create_room(creation()).room_id;
  EXPECT_TRUE(ThrowsApiError([&] { service->change_membership(room, kAlice, kBob, {{"membership", "dance"}}); }, 400,
                             "M_INVALID_PARAM"));
  EXPECT_TRUE(ThrowsApiError(
      [&] { service->change_membership(room, kAlice, "@nobody:example.org", {{"membership", "invite"}}); }, 404,
      "M_NOT_FOUND"));
  EXPECT_TRUE(
      ThrowsApiError([&] { service->change_membership(room, kAlice, kBob, {{"membership", "join"}}); }, 403, "M_FORBIDDEN"));
  EXPECT_TRUE(
      ThrowsApiError([&] { service->change_membership(room, kAlice, kBob, {{"membership", "leave"}}); }, 403, "M_FORBIDDEN"));
  service->change_membership(room, kAlice, kBob, {{"membership", "invite"}});
  EXPECT_EQ(rooms->current_membership(room, kBob), "invite");
  service->change_membership(room, kBob, kBob, service->own_member_content(kBob, "join", std::nullopt));
  EXPECT_EQ(rooms->current_membership(room, kBob), "join");
}

}  // namespace
}  // namespace domovoy
