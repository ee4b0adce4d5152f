// Authorisation rules for the create event (v12 rule 1; v10/v11 rule 1), the v12 room id rule
// (rule 2), and m.federate (v12 rule 4; v10/v11 rule 3).
#include <gtest/gtest.h>

#include "homeserver/tests/auth_fixture.hpp"

namespace domovoy {
namespace {

using namespace domovoy::test;

AuthResult check_create_pdu(const RoomVersion& version, boost::json::object pdu) {
  auto event_id = event_id_of(pdu, version);
  std::string room_id;
  if (version.room_id_from_create) room_id = "!" + event_id.substr(1);
  else if (const auto* id = pdu.if_contains("room_id"); id && id->is_string()) room_id = id->as_string();
  auto event = Event::from_pdu(std::move(pdu), event_id, room_id);
  return check_auth_rules(*event, version, [](std::string_view, std::string_view) { return EventPtr{}; });
}

class CreateRule : public ::testing::TestWithParam<const char*> {
 protected:
  const RoomVersion& version() const { return room_version(GetParam()); }
};

TEST_P(CreateRule, R1_1_WithoutPrevEventsIsAllowed) {
  EXPECT_TRUE(Allowed(check_create_pdu(version(), create_pdu(version(), kCreator))));
}

TEST_P(CreateRule, R1_1_WithPrevEventsIsRefused) {
  auto pdu = create_pdu(version(), kCreator);
  pdu["prev_events"] = boost::json::array{"$earlier:a.example"};
  EXPECT_TRUE(Refused(check_create_pdu(version(), pdu)));
}

TEST_P(CreateRule, R1_3_KnownRoomVersionIsAllowed) {
  auto pdu = create_pdu(version(), kCreator);
  ASSERT_EQ(pdu.at("content").at("room_version").as_string(), GetParam());
  EXPECT_TRUE(Allowed(check_create_pdu(version(), pdu)));
}

TEST_P(CreateRule, R1_3_AbsentRoomVersionIsAllowed) {
  auto pdu = create_pdu(version(), kCreator);
  pdu["content"].as_object().erase("room_version");
  EXPECT_TRUE(Allowed(check_create_pdu(version(), pdu)));
}

TEST_P(CreateRule, R1_3_UnknownRoomVersionIsRefused) {
  for (auto bad : {boost::json::value("999"), boost::json::value("org.example.unknown"), boost::json::value(12)}) {
    auto pdu = create_pdu(version(), kCreator);
    pdu["content"].as_object()["room_version"] = bad;
    EXPECT_TRUE(Refused(check_create_pdu(version(), pdu))) << boost::json::serialize(bad);
  }
}

// Rule 1 applies to every event of type m.room.create, whatever its state key: a later one has
// prev_events and must be refused (1.1), even from a user with every power.
TEST_P(CreateRule, R1_1_LaterCreateTypeEventsAreRefusedWhateverTheStateKey) {
  Room room(version());
  room.make_standard();
  auto state_event = room.event("m.room.create", std::string("again"), kCreator, {{"room_version", GetParam()}});
  EXPECT_TRUE(Refused(room.check(state_event))) << "m.room.create with state_key 'again'";
  auto message = room.event("m.room.create", std::nullopt, kCreator, {{"room_version", GetParam()}});
  EXPECT_TRUE(Refused(room.check(message))) << "m.room.create without state_key";
}

INSTANTIATE_TEST_SUITE_P(AllVersions, CreateRule, ::testing::ValuesIn(kAllVersions), version_name);

class CreateRuleV10V11 : public ::testing::TestWithParam<const char*> {
 protected:
  const RoomVersion& version() const { return room_version(GetParam()); }
};

TEST_P(CreateRuleV10V11, R1_2_RoomIdDomainMatchingSenderIsAllowed) {
  auto pdu = create_pdu(version(), kCreator);
  ASSERT_EQ(pdu.at("room_id").as_string(), "!room:a.example");
  EXPECT_TRUE(Allowed(check_create_pdu(version(), pdu)));
}

TEST_P(CreateRuleV10V11, R1_2_RoomIdDomainNotMatchingSenderIsRefused) {
  auto pdu = create_pdu(version(), kCreator);
  pdu["room_id"] = "!room:b.example";
  EXPECT_TRUE(Refused(check_create_pdu(version(), pdu)));
}

TEST_P(CreateRuleV10V11, AdditionalCreatorsMeanNothingBeforeV12) {
  auto pdu = create_pdu(version(), kCreator, {{"additional_creators", "not an array"}});
  EXPECT_TRUE(Allowed(check_create_pdu(version(), pdu)));
}

INSTANTIATE_TEST_SUITE_P(V10V11, CreateRuleV10V11, ::testing::Values("10", "11"), version_name);

TEST(CreateRuleV10, R1_4_WithCreatorIsAllowed) {
  const auto& v10 = room_version("10");
  EXPECT_TRUE(Allowed(check_create_pdu(v10, create_pdu(v10, kCreator))));
  // `creator` need not be the sender.
  EXPECT_TRUE(Allowed(check_create_pdu(v10, create_pdu(v10, kCreator, {{"creator", kCarol}}))));
}

TEST(CreateRuleV10, R1_4_WithoutCreatorIsRefused) {
  const auto& v10 = room_version("10");
  auto pdu = create_pdu(v10, kCreator);
  pdu["content"].as_object().erase("creator");
  EXPECT_TRUE(Refused(check_create_pdu(v10, pdu)));
}

TEST(CreateRuleV11, CreatorIsNotRequired) {
  const auto& v11 = room_version("11");
  auto pdu = create_pdu(v11, kCreator);
  ASSERT_FALSE(pdu.at("content").as_object().contains("creator"));
  EXPECT_TRUE(Allowed(check_create_pdu(v11, pdu)));
}

TEST(CreateRuleV12, R1_2_WithoutRoomIdIsAllowed) {
  const auto& v12 = room_version("12");
  auto pdu = create_pdu(v12, kCreator);
  ASSERT_FALSE(pdu.contains("room_id"));
  EXPECT_TRUE(Allowed(check_create_pdu(v12, pdu)));
}

TEST(CreateRuleV12, R1_2_WithRoomIdIsRefused) {
  const auto& v12 = room_version("12");
  auto pdu = create_pdu(v12, kCreator);
  pdu["room_id"] = "!room:a.example";
  EXPECT_TRUE(Refused(check_create_pdu(v12, pdu)));
}

TEST(CreateRuleV12, R1_4_ValidAdditionalCreatorsAreAllowed) {
  const auto& v12 = room_version("12");
  EXPECT_TRUE(Allowed(check_create_pdu(v12, create_pdu(v12, kCreator, {{"additional_creators", boost::json::array{kAlice, kBob}}}))));
  EXPECT_TRUE(Allowed(check_create_pdu(v12, create_pdu(v12, kCreator, {{"additional_creators", boost::json::array{}}}))));
}

TEST(CreateRuleV12, R1_4_AdditionalCreatorsNotAnArrayIsRefused) {
  const auto& v12 = room_version("12");
  EXPECT_TRUE(Refused(check_create_pdu(v12, create_pdu(v12, kCreator, {{"additional_creators", kAlice}}))));
  EXPECT_TRUE(Refused(check_create_pdu(
      v12, create_pdu(v12, kCreator, {{"additional_creators", boost::json::object{{"a", kAlice}}}}))));
}

TEST(CreateRuleV12, R1_4_AdditionalCreatorsWithANonStringIsRefused) {
  const auto& v12 = room_version("12");
  boost::json::array creators{boost::json::value(kAlice), boost::json::value(5)};
  EXPECT_TRUE(Refused(check_create_pdu(v12, create_pdu(v12, kCreator, {{"additional_creators", creators}}))));
}

TEST(CreateRuleV12, R1_4_AdditionalCreatorsWithAnInvalidUserIdIsRefused) {
  const auto& v12 = room_version("12");
  for (const char* bad : {"alice:a.example", "@alice", "@:a.example", "@alice:", "@alice:bad host", ""}) {
    boost::json::array creators{boost::json::value(kAlice), boost::json::value(bad)};
    EXPECT_TRUE(Refused(check_create_pdu(v12, create_pdu(v12, kCreator, {{"additional_creators", creators}})))) << bad;
  }
}

TEST(RoomIdRuleV12, R2_RoomIdOfTheCreateEventIsAllowed) {
  Room room(room_version("12"));
  room.make_standard();
  auto message = room.message(kCreator);
  ASSERT_EQ(message->room_id, "!" + room.create()->event_id.substr(1));
  EXPECT_TRUE(Allowed(room.check(message)));
}

TEST(RoomIdRuleV12, R2_OtherRoomIdIsRefused) {
  Room room(room_version("12"));
  room.make_standard();
  auto message = room.message(kCreator);
  message->room_id = "!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  message->pdu["room_id"] = message->room_id;
  EXPECT_TRUE(Refused(room.check(message)));
  message->room_id = "!room:a.example";  // a pre-v12 shaped room id
  message->pdu["room_id"] = message->room_id;
  EXPECT_TRUE(Refused(room.check(message)));
}

TEST(RoomIdRuleV12, RoomIdIsTheCreateEventsReferenceHash) {
  const auto& v12 = room_version("12");
  Room room(v12);
  EXPECT_EQ(room.room_id(), room_id_from_create_event(room.create()->pdu, v12));
  EXPECT_EQ(room.room_id().substr(1), room.create()->event_id.substr(1));
}

class FederateRule : public ::testing::TestWithParam<const char*> {
 protected:
  const RoomVersion& version() const { return room_version(GetParam()); }
};

TEST_P(FederateRule, R4_RemoteSenderInNonFederatingRoomIsRefused) {
  Room room(version(), {{"m.federate", false}});
  room.make_standard();
  room.set_join_rule("public");
  EXPECT_TRUE(Refused(room.check(room.member_event(kBob, kBob, "join"))));
}

TEST_P(FederateRule, R4_LocalSenderInNonFederatingRoomIsAllowed) {
  Room room(version(), {{"m.federate", false}});
  room.make_standard();
  room.set_join_rule("public");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(FederateRule, R4_RemoteSenderInFederatingRoomIsAllowed) {
  Room room(version(), {{"m.federate", true}});
  room.make_standard();
  room.set_join_rule("public");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kBob, kBob, "join"))));
}

TEST_P(FederateRule, R4_AppliesToNonMemberEventsToo) {
  Room room(version(), {{"m.federate", false}});
  room.make_standard();
  room.set_member(kBob, "join");  // already in state (set up directly)
  EXPECT_TRUE(Refused(room.check(room.message(kBob))));
  EXPECT_TRUE(Allowed(room.check(room.message(kCreator))));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, FederateRule, ::testing::ValuesIn(kAllVersions), version_name);

TEST(AuthRules, EventWithoutCreateEventInStateIsRefused) {
  for (const char* id : kAllVersions) {
    Room room(room_version(id));
    room.make_standard();
    auto message = room.message(kCreator);
    EXPECT_TRUE(Allowed(room.check(message))) << id;
    EXPECT_TRUE(Refused(check_auth_rules(*message, room_version(id),
                                         [](std::string_view, std::string_view) { return EventPtr{}; })))
        << id;
  }
}

}  // namespace
}  // namespace domovoy
