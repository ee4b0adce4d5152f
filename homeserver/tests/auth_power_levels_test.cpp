// Authorisation rules after membership (v12 rules 6-11; v10/v11 rules 5-10): senders must be
// joined, m.room.third_party_invite, required power levels, '@' state keys, and every sub-rule of
// m.room.power_levels; v12 creators' infinite power.
#include <gtest/gtest.h>

#include "homeserver/tests/auth_fixture.hpp"

namespace domovoy {
namespace {

using namespace domovoy::test;

class AfterMembership : public ::testing::TestWithParam<const char*> {
 protected:
  AfterMembership() : room(room_version(GetParam())) {
    room.make_standard();  // creator joined, kMod at 50
    room.set_member(kMod, "join");
    room.set_member(kAlice, "join");
  }
  bool v12() const { return room.version().room_id_from_create; }
  Room room;
};

// 6: the sender must be joined --------------------------------------------------------------------

TEST_P(AfterMembership, R6_JoinedSenderMessageIsAllowed) {
  EXPECT_TRUE(Allowed(room.check(room.message(kAlice))));
}

TEST_P(AfterMembership, R6_SenderNotJoinedIsRefused) {
  EXPECT_TRUE(Refused(room.check(room.message(kBob)))) << "never a member";
  for (const char* membership : {"invite", "leave", "ban", "knock"}) {
    room.set_member(kBob, membership, std::string(membership) == "leave" || std::string(membership) == "knock" ? kBob : kCreator);
    EXPECT_TRUE(Refused(room.check(room.message(kBob)))) << membership;
    EXPECT_TRUE(Refused(room.check(room.event("m.room.topic", "", kBob, {{"topic", "t"}})))) << membership;
  }
}

// 7: m.room.third_party_invite ----------------------------------------------------------------

TEST_P(AfterMembership, R7_ThirdPartyInviteWithInvitePowerIsAllowed) {
  room.set_power_levels({{kMod, 50}}, {{"invite", 50}});
  EXPECT_TRUE(Allowed(room.check(room.event("m.room.third_party_invite", "tok", kMod, {{"display_name", "x"}}))));
}

TEST_P(AfterMembership, R7_ThirdPartyInviteWithoutInvitePowerIsRefused) {
  room.set_power_levels({{kMod, 50}}, {{"invite", 50}});
  EXPECT_TRUE(Refused(room.check(room.event("m.room.third_party_invite", "tok", kAlice, {{"display_name", "x"}}))));
}

TEST_P(AfterMembership, R7_ThirdPartyInviteIgnoresTheEventLevel) {
  // "Allow if and only if" the invite level: the events map does not apply to this type.
  room.set_power_levels({{kMod, 50}}, {{"invite", 50}, {"events", {{"m.room.third_party_invite", 100}}}});
  EXPECT_TRUE(Allowed(room.check(room.event("m.room.third_party_invite", "tok", kMod, {{"display_name", "x"}}))));
  room.set_power_levels({{kMod, 50}}, {{"invite", 60}, {"events", {{"m.room.third_party_invite", 0}}}});
  EXPECT_TRUE(Refused(room.check(room.event("m.room.third_party_invite", "tok", kMod, {{"display_name", "x"}}))));
}

// 8: required power level --------------------------------------------------------------------

TEST_P(AfterMembership, R8_EventTypeLevelMetIsAllowed) {
  room.set_power_levels({{kMod, 50}, {kCarol, 60}}, {{"events", {{"m.room.name", 60}}}});
  room.set_member(kCarol, "join");
  EXPECT_TRUE(Allowed(room.check(room.event("m.room.name", "", kCarol, {{"name", "n"}}))));
}

TEST_P(AfterMembership, R8_EventTypeLevelNotMetIsRefused) {
  room.set_power_levels({{kMod, 50}, {kCarol, 60}}, {{"events", {{"m.room.name", 60}}}});
  EXPECT_TRUE(Refused(room.check(room.event("m.room.name", "", kMod, {{"name", "n"}}))));
}

TEST_P(AfterMembership, R8_StateDefaultIs50WithPowerLevels) {
  EXPECT_TRUE(Refused(room.check(room.event("m.room.topic", "", kAlice, {{"topic", "t"}}))));
  EXPECT_TRUE(Allowed(room.check(room.event("m.room.topic", "", kMod, {{"topic", "t"}}))));
}

TEST_P(AfterMembership, R8_EventsDefaultAppliesToMessages) {
  room.set_power_levels({{kMod, 50}}, {{"events_default", 10}});
  EXPECT_TRUE(Refused(room.check(room.message(kAlice))));
  room.set_power_levels({{kMod, 50}}, {{"events_default", 10}, {"users_default", 10}});
  EXPECT_TRUE(Allowed(room.check(room.message(kAlice))));
}

TEST_P(AfterMembership, R8_EventsMapOverridesDefaultsForMessagesToo) {
  room.set_power_levels({{kMod, 50}}, {{"events", {{"m.reaction", 20}}}});
  EXPECT_TRUE(Refused(room.check(room.message(kAlice, "m.reaction"))));
  EXPECT_TRUE(Allowed(room.check(room.message(kAlice, "m.room.message"))));
}

TEST_P(AfterMembership, R8_WithoutPowerLevelsEventAnyMemberMaySendState) {
  Room bare(room_version(GetParam()));
  bare.set_member(kCreator, "join");
  bare.set_member(kAlice, "join");
  EXPECT_TRUE(Allowed(bare.check(bare.event("m.room.topic", "", kAlice, {{"topic", "t"}}))));
  EXPECT_TRUE(Allowed(bare.check(bare.message(kAlice))));
}

TEST_P(AfterMembership, R8_RedactionsNeedTheirEventLevelNotTheRedactLevel) {
  room.set_power_levels({{kMod, 50}}, {{"redact", 100}});
  auto redaction = room.event("m.room.redaction", std::nullopt, kAlice, {{"redacts", "$x:a.example"}});
  EXPECT_TRUE(Allowed(room.check(redaction)));
  room.set_power_levels({{kMod, 50}}, {{"events", {{"m.room.redaction", 50}}}});
  EXPECT_TRUE(Refused(room.check(room.event("m.room.redaction", std::nullopt, kAlice, {{"redacts", "$x:a.example"}}))));
}

// 9: state keys that are user ids ------------------------------------------------------------

TEST_P(AfterMembership, R9_StateKeyOfOwnUserIdIsAllowed) {
  room.set_power_levels({{kMod, 50}}, {{"state_default", 0}});
  EXPECT_TRUE(Allowed(room.check(room.event("org.example.status", kAlice, kAlice, {{"s", "busy"}}))));
}

TEST_P(AfterMembership, R9_StateKeyOfAnotherUserIdIsRefused) {
  room.set_power_levels({{kMod, 50}}, {{"state_default", 0}});
  EXPECT_TRUE(Refused(room.check(room.event("org.example.status", kBob, kAlice, {{"s", "busy"}}))));
  EXPECT_TRUE(Refused(room.check(room.event("org.example.status", "@", kAlice, {{"s", "busy"}}))));
  // Not even the most powerful user may.
  EXPECT_TRUE(Refused(room.check(room.event("org.example.status", kAlice, kCreator, {{"s", "busy"}}))));
}

TEST_P(AfterMembership, R9_StateKeyNotStartingWithAtIsAllowed) {
  room.set_power_levels({{kMod, 50}}, {{"state_default", 0}});
  EXPECT_TRUE(Allowed(room.check(room.event("org.example.status", "x@a.example", kAlice, {{"s", "busy"}}))));
}

// 11: otherwise allow ----------------------------------------------------------------------------

TEST_P(AfterMembership, R11_OtherStateAndMessagesAreAllowed) {
  EXPECT_TRUE(Allowed(room.check(room.event("org.example.custom", "", kMod, {{"x", 1}}))));
  EXPECT_TRUE(Allowed(room.check(room.message(kMod, "org.example.message"))));
}

// 10: m.room.power_levels ------------------------------------------------------------------------

TEST_P(AfterMembership, R10_1_IntegerNamedLevelsAreAllowed) {
  auto event = room.power_levels_event({{kMod, 50}},
                                       {{"users_default", 0}, {"events_default", 0}, {"state_default", 50}, {"ban", 50},
                                        {"redact", 50}, {"kick", 50}, {"invite", 0}},
                                       kCreator);
  EXPECT_TRUE(Allowed(room.check(event)));
}

TEST_P(AfterMembership, R10_1_NonIntegerNamedLevelsAreRefused) {
  for (const char* key : {"users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"}) {
    for (auto bad : {boost::json::value("50"), boost::json::value(50.5), boost::json::value(nullptr),
                     boost::json::value(boost::json::array{50})}) {
      auto event = room.power_levels_event({{kMod, 50}}, {{key, bad}}, kCreator);
      EXPECT_TRUE(Refused(room.check(event))) << key << " = " << boost::json::serialize(bad);
    }
  }
}

TEST_P(AfterMembership, R10_2_EventsAndNotificationsOfIntegersAreAllowed) {
  auto event = room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.name", 50}}}, {"notifications", {{"room", 50}}}},
                                       kCreator);
  EXPECT_TRUE(Allowed(room.check(event)));
}

TEST_P(AfterMembership, R10_2_EventsOrNotificationsNotMappingToIntegersAreRefused) {
  std::vector<boost::json::object> bad = {
      {{"events", {{"m.room.name", "50"}}}},
      {{"events", boost::json::array{}}},
      {{"events", 50}},
      {{"notifications", {{"room", true}}}},
      {{"notifications", 5}},
  };
  for (const auto& extra : bad) {
    auto event = room.power_levels_event({{kMod, 50}}, extra, kCreator);
    EXPECT_TRUE(Refused(room.check(event))) << boost::json::serialize(extra);
  }
}

TEST_P(AfterMembership, R10_3_UsersOfValidIdsAndIntegersAreAllowed) {
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}, {kBob, 10}}, {}, kCreator))));
}

TEST_P(AfterMembership, R10_3_UsersWithBadKeysOrValuesAreRefused) {
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{"not-a-user", 10}}, {}, kCreator))));
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{"@nodomain", 10}}, {}, kCreator))));
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kBob, "10"}}, {}, kCreator))));
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kBob, 10.5}}, {}, kCreator))));
  auto users_not_object = room.event("m.room.power_levels", "", kCreator, {{"users", boost::json::array{kBob}}});
  EXPECT_TRUE(Refused(room.check(users_not_object)));
}

TEST_P(AfterMembership, R10_5_FirstPowerLevelsEventIsAllowedWhateverItGrants) {
  Room bare(room_version(GetParam()));
  bare.set_member(kCreator, "join");
  bare.set_member(kAlice, "join");
  // Without a previous power_levels event any member may send the first one (state_default 0).
  EXPECT_TRUE(Allowed(bare.check(bare.power_levels_event({{kAlice, 100}}, {{"ban", 100}}, kAlice))));
}

TEST_P(AfterMembership, R10_6_ChangeBetweenValuesAtOrBelowSenderIsAllowed) {
  room.set_power_levels({{kMod, 50}}, {{"ban", 50}, {"kick", 75}});
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{"ban", 40}, {"kick", 75}}, kMod))));
}

TEST_P(AfterMembership, R10_6_1_ChangeOfValueAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}}, {{"ban", 50}, {"kick", 75}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"ban", 50}, {"kick", 50}}, kMod))));
}

TEST_P(AfterMembership, R10_6_1_RemovalOfValueAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}}, {{"ban", 50}, {"kick", 75}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"ban", 50}}, kMod))));
  // Removing one at the sender's level is fine.
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{"kick", 75}}, kMod))));
}

TEST_P(AfterMembership, R10_6_2_RaiseAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}}, {{"ban", 50}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"ban", 60}}, kMod))));
}

TEST_P(AfterMembership, R10_6_2_AdditionAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}}, {});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"redact", 100}}, kMod))));
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{"redact", 50}}, kMod))));
}

TEST_P(AfterMembership, R10_6_EveryNamedLevelIsGuarded) {
  for (const char* key : {"users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"}) {
    room.set_power_levels({{kMod, 50}}, {});
    EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{key, 51}}, kMod)))) << key;
    EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{key, 49}}, kMod)))) << key;
  }
}

TEST_P(AfterMembership, R10_7_ChangeOrRemovalOfEventLevelAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}}, {{"events", {{"m.room.name", 100}, {"m.room.topic", 50}}}});
  EXPECT_TRUE(Refused(room.check(
      room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.name", 50}, {"m.room.topic", 50}}}}, kMod))))
      << "change";
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.topic", 50}}}}, kMod))))
      << "removal";
}

TEST_P(AfterMembership, R10_7_ChangeOfEventLevelAtSenderIsAllowed) {
  room.set_power_levels({{kMod, 50}}, {{"events", {{"m.room.name", 100}, {"m.room.topic", 50}}}});
  EXPECT_TRUE(Allowed(room.check(
      room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.name", 100}, {"m.room.topic", 0}}}}, kMod))));
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.name", 100}}}}, kMod))));
}

TEST_P(AfterMembership, R10_7_NotificationLevelAboveSenderIsGuarded) {
  room.set_power_levels({{kMod, 50}}, {{"notifications", {{"room", 100}}}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"notifications", {{"room", 50}}}}, kMod))));
  room.set_power_levels({{kMod, 50}}, {{"notifications", {{"room", 50}}}});
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{"notifications", {{"room", 20}}}}, kMod))));
}

TEST_P(AfterMembership, R10_8_AdditionOfEventLevelAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}}, {});
  EXPECT_TRUE(
      Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.tombstone", 75}}}}, kMod))));
  EXPECT_TRUE(
      Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"notifications", {{"room", 75}}}}, kMod))));
}

TEST_P(AfterMembership, R10_8_AdditionOfEventLevelAtSenderIsAllowed) {
  room.set_power_levels({{kMod, 50}}, {});
  EXPECT_TRUE(
      Allowed(room.check(room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.tombstone", 50}}}}, kMod))));
}

TEST_P(AfterMembership, R10_9_ChangeOrRemovalOfUserAtSenderLevelIsRefused) {
  room.set_power_levels({{kMod, 50}, {kCarol, 50}, {kAlice, 25}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}, {kCarol, 0}, {kAlice, 25}}, {}, kMod))))
      << "change";
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}, {kAlice, 25}}, {}, kMod)))) << "removal";
}

TEST_P(AfterMembership, R10_9_ChangeOrRemovalOfLowerUserIsAllowed) {
  room.set_power_levels({{kMod, 50}, {kCarol, 50}, {kAlice, 25}});
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}, {kCarol, 50}, {kAlice, 0}}, {}, kMod))));
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}, {kCarol, 50}}, {}, kMod))));
}

TEST_P(AfterMembership, R10_9_SenderMayLowerOwnEntry) {
  room.set_power_levels({{kMod, 50}});
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 10}}, {}, kMod))));
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({}, {}, kMod))));
}

TEST_P(AfterMembership, R10_10_AdditionOrRaiseAboveSenderIsRefused) {
  room.set_power_levels({{kMod, 50}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}, {kBob, 75}}, {}, kMod)))) << "add";
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 60}}, {}, kMod)))) << "raise self";
}

TEST_P(AfterMembership, R10_10_AdditionAtSenderLevelIsAllowed) {
  room.set_power_levels({{kMod, 50}});
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 50}, {kBob, 50}}, {}, kMod))));
}

TEST_P(AfterMembership, R10_10_IntegersBeyondInt64AreNotAWayAround) {
  // 18446744073709551615 is a JSON integer (rule 10.3 lets it through) far above the sender's 50.
  room.set_power_levels({{kMod, 50}});
  auto huge = boost::json::value(std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}, {kBob, huge}}, {}, kMod)))) << "users";
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"events", {{"m.room.name", huge}}}}, kMod))))
      << "events";
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}}, {{"ban", huge}}, kMod)))) << "ban";
}

TEST_P(AfterMembership, R10_PowerLevelsNeedTheirOwnStateLevelFirst) {
  // Rule 8 applies before rule 10: a user below state_default cannot send power levels at all.
  room.set_power_levels({{kMod, 50}, {kAlice, 10}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 50}, {kAlice, 10}}, {}, kAlice))));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, AfterMembership, ::testing::ValuesIn(kAllVersions), version_name);

// v12: creators ----------------------------------------------------------------------------------

class Creators : public ::testing::Test {
 protected:
  Creators() : room(room_version("12"), {{"additional_creators", boost::json::array{kAlice}}}) {
    room.set_member(kCreator, "join");
    room.set_member(kAlice, "join");
    room.set_member(kMod, "join");
    room.set_power_levels({{kMod, 100}}, {{"events", {{"m.room.tombstone", 9007199254740991}}}});
  }
  Room room;
};

TEST_F(Creators, R10_4_UsersNamingTheCreateSenderIsRefused) {
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 100}, {kCreator, 100}}, {}, kCreator))));
}

TEST_F(Creators, R10_4_UsersNamingAnAdditionalCreatorIsRefused) {
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 100}, {kAlice, 100}}, {}, kCreator))));
}

TEST_F(Creators, R10_4_UsersWithoutCreatorsIsAllowed) {
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 100}, {kBob, 50}}, {}, kCreator))));
}

TEST_F(Creators, CreatorsOutrankAnyLevel) {
  auto tombstone = [&](const std::string& sender) {
    return room.event("m.room.tombstone", "", sender, {{"body", "moved"}, {"replacement_room", "!new:a.example"}});
  };
  EXPECT_TRUE(Allowed(room.check(tombstone(kCreator))));
  EXPECT_TRUE(Allowed(room.check(tombstone(kAlice))));
  EXPECT_TRUE(Refused(room.check(tombstone(kMod))));
}

TEST_F(Creators, CreatorsMayChangeAnyEntry) {
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 0}}, {{"ban", 1000}}, kAlice))));
}

TEST_F(Creators, UserAt100CannotDemoteAnotherAt100) {
  room.set_member(kCarol, "join");
  room.set_power_levels({{kMod, 100}, {kCarol, 100}});
  EXPECT_TRUE(Refused(room.check(room.power_levels_event({{kMod, 100}, {kCarol, 0}}, {}, kMod))));
  EXPECT_TRUE(Allowed(room.check(room.power_levels_event({{kMod, 100}, {kCarol, 0}}, {}, kCreator))));
}

TEST(CreatorsBeforeV12, PowerLevelsMayNameTheCreator) {
  for (const char* id : {"10", "11"}) {
    Room room(room_version(id));
    room.set_member(kCreator, "join");
    auto event = room.power_levels_event({{kCreator, 100}}, {}, kCreator);
    EXPECT_TRUE(Allowed(room.check(event))) << id;
  }
}

TEST(CreatorsBeforeV12, CreatorPowerComesFromPowerLevels) {
  for (const char* id : {"10", "11"}) {
    Room room(room_version(id));
    room.set_member(kCreator, "join");
    room.set_power_levels({{kCreator, 10}});
    EXPECT_TRUE(Refused(room.check(room.event("m.room.topic", "", kCreator, {{"topic", "t"}})))) << id;
  }
}

}  // namespace
}  // namespace domovoy
