// Authorisation rules for m.room.member (v12 rule 5; v10/v11 rule 4): joins under each join
// rule, invites (also third-party), leaves and kicks, bans, knocks. Each refusal is paired with
// an allowed case that differs only in the condition the rule tests.
#include <gtest/gtest.h>

#include "homeserver/events/signing_key.hpp"
#include "homeserver/tests/auth_fixture.hpp"

namespace domovoy {
namespace {

using namespace domovoy::test;

class Membership : public ::testing::TestWithParam<const char*> {
 protected:
  Membership() : room(room_version(GetParam())) { room.make_standard(); }
  Room room;
};

// 5.1 -----------------------------------------------------------------------------------------

TEST_P(Membership, R5_1_MemberEventWithStateKeyAndMembershipIsAllowed) {
  room.set_join_rule("public");
  EXPECT_TRUE(Allowed(room.check(room.event("m.room.member", kAlice, kAlice, {{"membership", "join"}}))));
}

TEST_P(Membership, R5_1_MemberEventWithoutStateKeyIsRefused) {
  room.set_join_rule("public");
  EXPECT_TRUE(Refused(room.check(room.event("m.room.member", std::nullopt, kAlice, {{"membership", "join"}}))));
}

TEST_P(Membership, R5_1_MemberEventWithoutMembershipIsRefused) {
  room.set_join_rule("public");
  EXPECT_TRUE(Refused(room.check(room.event("m.room.member", kAlice, kAlice, {{"displayname", "Alice"}}))));
  EXPECT_TRUE(Refused(room.check(room.event("m.room.member", kAlice, kAlice, {{"membership", 1}}))));
}

// 5.3 join --------------------------------------------------------------------------------------

TEST_P(Membership, R5_3_1_CreatorJoinRightAfterCreateIsAllowed) {
  Room fresh(room_version(GetParam()));
  auto join = fresh.member_event(kCreator, kCreator, "join");
  ASSERT_EQ(join->pdu.at("prev_events"), boost::json::value(boost::json::array{boost::json::value(fresh.create()->event_id)}));
  EXPECT_TRUE(Allowed(fresh.check(join)));
}

TEST_P(Membership, R5_3_1_OtherUserJoinRightAfterCreateIsRefused) {
  Room fresh(room_version(GetParam()));
  EXPECT_TRUE(Refused(fresh.check(fresh.member_event(kAlice, kAlice, "join"))));
}

TEST_P(Membership, R5_3_1_CreatorJoinAfterOtherEventsNeedsTheJoinRule) {
  Room fresh(room_version(GetParam()));
  // Not only the create event before it: the creator is neither invited nor joined.
  auto join = fresh.event("m.room.member", kCreator, kCreator, {{"membership", "join"}},
                          std::vector<std::string>{fresh.create()->event_id, "$other:a.example"});
  EXPECT_TRUE(Refused(fresh.check(join)));
}

TEST_P(Membership, R5_3_2_JoinForSelfIsAllowed) {
  room.set_join_rule("public");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(Membership, R5_3_2_JoinOnBehalfOfAnotherIsRefused) {
  room.set_join_rule("public");
  EXPECT_TRUE(Refused(room.check(room.member_event(kCreator, kAlice, "join"))));
}

TEST_P(Membership, R5_3_3_JoinAfterLeaveIsAllowed) {
  room.set_join_rule("public");
  room.set_member(kAlice, "leave");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(Membership, R5_3_3_BannedUserJoinIsRefused) {
  room.set_join_rule("public");
  room.set_member(kAlice, "ban", kCreator);
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "join"))));
}

class MembershipInviteOrKnockRule : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {
 protected:
  MembershipInviteOrKnockRule() : room(room_version(std::get<0>(GetParam()))) {
    room.make_standard();
    room.set_join_rule(std::get<1>(GetParam()));
  }
  Room room;
};

TEST_P(MembershipInviteOrKnockRule, R5_3_4_InvitedUserJoinIsAllowed) {
  room.set_member(kAlice, "invite", kCreator);
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(MembershipInviteOrKnockRule, R5_3_4_JoinedUserJoinAgainIsAllowed) {
  room.set_member(kAlice, "join");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join", {{"displayname", "A"}}))));
}

TEST_P(MembershipInviteOrKnockRule, R5_3_4_UninvitedUserJoinIsRefused) {
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "join"))));
  room.set_member(kAlice, "leave");
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(MembershipInviteOrKnockRule, R5_3_4_KnockedUserJoinIsRefused) {
  room.set_member(kAlice, "knock");
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "join"))));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, MembershipInviteOrKnockRule,
                         ::testing::Combine(::testing::ValuesIn(kAllVersions), ::testing::Values("invite", "knock")),
                         [](const auto& info) {
                           return std::string("v") + std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

class MembershipRestricted : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {
 protected:
  MembershipRestricted() : room(room_version(std::get<0>(GetParam()))) {
    room.set_member(kCreator, "join");
    room.set_member(kMod, "join");
    room.set_member(kCarol, "join");
    // invite level 50: kMod (50) may invite, kCarol (0) may not.
    room.set_power_levels({{kMod, 50}}, {{"invite", 50}});
    room.set(
        "m.room.join_rules", "", kCreator,
        {{"join_rule", std::get<1>(GetParam())},
         {"allow", boost::json::array{boost::json::object{{"type", "m.room_membership"}, {"room_id", "!other:a.example"}}}}});
  }
  std::shared_ptr<Event> join_via(const std::string& via) {
    return room.member_event(kAlice, kAlice, "join", {{"join_authorised_via_users_server", via}});
  }
  Room room;
};

TEST_P(MembershipRestricted, R5_3_5_1_InvitedUserJoinIsAllowed) {
  room.set_member(kAlice, "invite", kCreator);
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(MembershipRestricted, R5_3_5_1_JoinedUserJoinAgainIsAllowed) {
  room.set_member(kAlice, "join");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(MembershipRestricted, R5_3_5_3_JoinAuthorisedByJoinedUserWhoCanInviteIsAllowed) {
  EXPECT_TRUE(Allowed(room.check(join_via(kMod))));
  EXPECT_TRUE(Allowed(room.check(join_via(kCreator))));
}

TEST_P(MembershipRestricted, R5_3_5_2_JoinWithoutAuthorisingUserIsRefused) {
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST_P(MembershipRestricted, R5_3_5_2_JoinAuthorisedByUserWithoutInvitePowerIsRefused) {
  EXPECT_TRUE(Refused(room.check(join_via(kCarol))));
}

TEST_P(MembershipRestricted, R5_3_5_2_JoinAuthorisedByUserNotJoinedIsRefused) {
  room.set_member(kMod, "leave");
  EXPECT_TRUE(Refused(room.check(join_via(kMod))));
  room.set_member(kMod, "invite", kCreator);
  EXPECT_TRUE(Refused(room.check(join_via(kMod))));
}

TEST_P(MembershipRestricted, R5_3_3_BannedUserIsRefusedEvenWhenAuthorised) {
  room.set_member(kAlice, "ban", kCreator);
  EXPECT_TRUE(Refused(room.check(join_via(kMod))));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, MembershipRestricted,
                         ::testing::Combine(::testing::ValuesIn(kAllVersions),
                                            ::testing::Values("restricted", "knock_restricted")),
                         [](const auto& info) {
                           return std::string("v") + std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

TEST_P(Membership, R5_3_6_PublicRoomJoinIsAllowed) {
  room.set_join_rule("public");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kBob, kBob, "join"))));
}

TEST_P(Membership, R5_3_7_UnknownJoinRuleJoinIsRefused) {
  for (const char* rule : {"private", "org.example.rule", ""}) {
    room.set_join_rule(rule);
    EXPECT_TRUE(Refused(room.check(room.member_event(kBob, kBob, "join")))) << rule;
  }
}

TEST_P(Membership, R5_3_4_NoJoinRulesEventMeansInviteOnly) {
  EXPECT_TRUE(Refused(room.check(room.member_event(kBob, kBob, "join"))));
  room.set_member(kBob, "invite", kCreator);
  EXPECT_TRUE(Allowed(room.check(room.member_event(kBob, kBob, "join"))));
}

// 5.4 invite ------------------------------------------------------------------------------------

TEST_P(Membership, R5_4_2_InviteByJoinedMemberIsAllowed) {
  EXPECT_TRUE(Allowed(room.check(room.member_event(kCreator, kBob, "invite"))));
}

TEST_P(Membership, R5_4_2_InviteBySenderNotJoinedIsRefused) {
  room.set_member(kMod, "leave");
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kBob, "invite"))));
  room.set_member(kMod, "invite", kCreator);
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kBob, "invite"))));
}

TEST_P(Membership, R5_4_3_InviteOfJoinedTargetIsRefused) {
  room.set_member(kBob, "join");
  EXPECT_TRUE(Refused(room.check(room.member_event(kCreator, kBob, "invite"))));
}

TEST_P(Membership, R5_4_3_InviteOfBannedTargetIsRefused) {
  room.set_member(kBob, "ban", kCreator);
  EXPECT_TRUE(Refused(room.check(room.member_event(kCreator, kBob, "invite"))));
}

TEST_P(Membership, R5_4_3_InviteOfLeftInvitedOrKnockingTargetIsAllowed) {
  for (const char* membership : {"leave", "invite", "knock"}) {
    room.set_member(kBob, membership, std::string(membership) == "invite" ? kCreator : kBob);
    EXPECT_TRUE(Allowed(room.check(room.member_event(kCreator, kBob, "invite")))) << membership;
  }
}

TEST_P(Membership, R5_4_4_InviteWithEnoughPowerIsAllowed) {
  room.set_member(kMod, "join");
  room.set_member(kAlice, "join");
  room.set_power_levels({{kMod, 50}}, {{"invite", 50}});
  EXPECT_TRUE(Allowed(room.check(room.member_event(kMod, kBob, "invite"))));
}

TEST_P(Membership, R5_4_5_InviteWithoutEnoughPowerIsRefused) {
  room.set_member(kMod, "join");
  room.set_member(kAlice, "join");
  room.set_power_levels({{kMod, 50}}, {{"invite", 50}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kBob, "invite"))));
}

TEST_P(Membership, R5_4_4_DefaultInviteLevelIsZero) {
  room.set_member(kAlice, "join");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kBob, "invite"))));
}

// 5.4.1 third-party invites: the room holds an m.room.third_party_invite whose public key signed
// the `signed` object of the invite.
class ThirdPartyInvite : public Membership {
 protected:
  ThirdPartyInvite() : identity_key(SigningKey::generate("ed25519:0")) {
    room.set("m.room.third_party_invite", "tok", kCreator,
             {{"display_name", "b...@example.org"},
              {"key_validity_url", "https://id.example/_matrix/identity/v2/pubkey/isvalid"},
              {"public_key", identity_key.public_key_base64()},
              {"public_keys", boost::json::array{boost::json::object{{"public_key", identity_key.public_key_base64()}}}}});
  }
  boost::json::object signed_object(const std::string& mxid, const std::string& token, const SigningKey& key) {
    boost::json::object object{{"mxid", mxid}, {"sender", kCreator}, {"token", token}};
    sign_json(object, "id.example", key);
    return object;
  }
  std::shared_ptr<Event> invite(const std::string& sender, const std::string& target, boost::json::object third_party) {
    return room.member_event(sender, target, "invite", {{"third_party_invite", std::move(third_party)}});
  }
  std::shared_ptr<Event> valid_invite() {
    return invite(kCreator, kBob,
                  {{"display_name", "b...@example.org"}, {"signed", signed_object(kBob, "tok", identity_key)}});
  }
  SigningKey identity_key;
};

TEST_P(ThirdPartyInvite, R5_4_1_7_ValidlySignedThirdPartyInviteIsAllowed) {
  EXPECT_TRUE(Allowed(room.check(valid_invite())));
}

TEST_P(ThirdPartyInvite, R5_4_1_1_BannedTargetIsRefused) {
  room.set_member(kBob, "ban", kCreator);
  EXPECT_TRUE(Refused(room.check(valid_invite())));
}

TEST_P(ThirdPartyInvite, R5_4_1_2_WithoutSignedIsRefused) {
  EXPECT_TRUE(Refused(room.check(invite(kCreator, kBob, {{"display_name", "b...@example.org"}}))));
}

TEST_P(ThirdPartyInvite, R5_4_1_3_SignedWithoutMxidOrTokenIsRefused) {
  auto without_token = signed_object(kBob, "tok", identity_key);
  without_token.erase("token");
  EXPECT_TRUE(Refused(room.check(invite(kCreator, kBob, {{"signed", without_token}}))));
  auto without_mxid = signed_object(kBob, "tok", identity_key);
  without_mxid.erase("mxid");
  EXPECT_TRUE(Refused(room.check(invite(kCreator, kBob, {{"signed", without_mxid}}))));
}

TEST_P(ThirdPartyInvite, R5_4_1_4_MxidNotMatchingStateKeyIsRefused) {
  EXPECT_TRUE(Refused(room.check(invite(kCreator, kBob, {{"signed", signed_object(kCarol, "tok", identity_key)}}))));
}

TEST_P(ThirdPartyInvite, R5_4_1_5_TokenWithoutThirdPartyInviteEventIsRefused) {
  EXPECT_TRUE(Refused(room.check(invite(kCreator, kBob, {{"signed", signed_object(kBob, "other", identity_key)}}))));
}

TEST_P(ThirdPartyInvite, R5_4_1_6_SenderNotMatchingThirdPartyInviteSenderIsRefused) {
  EXPECT_TRUE(Refused(room.check(invite(kMod, kBob, {{"signed", signed_object(kBob, "tok", identity_key)}}))));
}

TEST_P(ThirdPartyInvite, R5_4_1_8_SignatureByAnotherKeyIsRefused) {
  auto stranger = SigningKey::generate("ed25519:0");
  EXPECT_TRUE(Refused(room.check(invite(kCreator, kBob, {{"signed", signed_object(kBob, "tok", stranger)}}))));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, ThirdPartyInvite, ::testing::ValuesIn(kAllVersions), version_name);

// 5.5 leave -------------------------------------------------------------------------------------

TEST_P(Membership, R5_5_1_OwnLeaveFromJoinInviteOrKnockIsAllowed) {
  room.set_member(kAlice, "join");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "leave")))) << "leave";
  room.set_member(kAlice, "invite", kCreator);
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "leave")))) << "reject invite";
  room.set_member(kAlice, "knock");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "leave")))) << "rescind knock";
}

TEST_P(Membership, R5_5_1_OwnLeaveFromLeaveOrBanIsRefused) {
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "leave")))) << "never a member";
  room.set_member(kAlice, "leave");
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "leave")))) << "already left";
  room.set_member(kAlice, "ban", kCreator);
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "leave")))) << "banned";
}

TEST_P(Membership, R5_5_2_KickBySenderNotJoinedIsRefused) {
  room.set_member(kAlice, "join");
  room.set_member(kMod, "leave");
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kAlice, "leave"))));
}

TEST_P(Membership, R5_5_4_KickOfLowerUserWithKickPowerIsAllowed) {
  room.set_member(kAlice, "join");
  room.set_member(kMod, "join");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kMod, kAlice, "leave"))));
}

TEST_P(Membership, R5_5_5_KickOfEqualUserIsRefused) {
  room.set_member(kCarol, "join");
  room.set_member(kMod, "join");
  room.set_power_levels({{kMod, 50}, {kCarol, 50}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kCarol, "leave"))));
}

TEST_P(Membership, R5_5_5_KickWithoutKickPowerIsRefused) {
  room.set_member(kAlice, "join");
  room.set_member(kBob, "join");
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kBob, "leave"))));
  // With kick 0 and alice above bob it is allowed.
  room.set_power_levels({{kMod, 50}, {kAlice, 10}}, {{"kick", 0}});
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kBob, "leave"))));
}

TEST_P(Membership, R5_5_3_UnbanWithBanAndKickPowerIsAllowed) {
  room.set_member(kAlice, "ban", kCreator);
  room.set_member(kCarol, "join");
  room.set_power_levels({{kMod, 60}, {kCarol, 80}}, {{"ban", 75}});
  EXPECT_TRUE(Allowed(room.check(room.member_event(kCarol, kAlice, "leave"))));
}

TEST_P(Membership, R5_5_3_UnbanWithoutBanPowerIsRefused) {
  room.set_member(kAlice, "ban", kCreator);
  room.set_member(kMod, "join");
  room.set_power_levels({{kMod, 60}, {kCarol, 80}}, {{"ban", 75}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kAlice, "leave"))));
}

TEST_P(Membership, R5_5_4_UnbanWithoutKickPowerIsRefused) {
  room.set_member(kAlice, "ban", kCreator);
  room.set_member(kMod, "join");
  room.set_power_levels({{kMod, 50}}, {{"ban", 50}, {"kick", 75}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kAlice, "leave"))));
}

// 5.6 ban ---------------------------------------------------------------------------------------

TEST_P(Membership, R5_6_2_BanOfLowerUserWithBanPowerIsAllowed) {
  room.set_member(kAlice, "join");
  room.set_member(kMod, "join");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kMod, kAlice, "ban"))));
  EXPECT_TRUE(Allowed(room.check(room.member_event(kMod, kBob, "ban")))) << "pre-emptive ban of a non-member";
}

TEST_P(Membership, R5_6_1_BanBySenderNotJoinedIsRefused) {
  room.set_member(kAlice, "join");
  room.set_member(kMod, "leave");
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kAlice, "ban"))));
}

TEST_P(Membership, R5_6_3_BanWithoutBanPowerIsRefused) {
  room.set_member(kAlice, "join");
  room.set_member(kBob, "join");
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kBob, "ban"))));
}

TEST_P(Membership, R5_6_3_BanOfEqualOrHigherUserIsRefused) {
  room.set_member(kMod, "join");
  room.set_member(kCarol, "join");
  room.set_power_levels({{kMod, 50}, {kCarol, 50}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kCarol, "ban"))));
  room.set_power_levels({{kMod, 50}, {kCarol, 70}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kCarol, "ban"))));
}

// 5.7 knock -------------------------------------------------------------------------------------

TEST_P(Membership, R5_7_3_KnockUnderKnockRulesIsAllowed) {
  for (const char* rule : {"knock", "knock_restricted"}) {
    room.set_join_rule(rule);
    EXPECT_TRUE(Allowed(room.check(room.member_event(kBob, kBob, "knock")))) << rule;
  }
  room.set_member(kBob, "leave");
  EXPECT_TRUE(Allowed(room.check(room.member_event(kBob, kBob, "knock")))) << "after leaving";
}

TEST_P(Membership, R5_7_1_KnockUnderOtherJoinRulesIsRefused) {
  for (const char* rule : {"public", "invite", "restricted", "private"}) {
    room.set_join_rule(rule);
    EXPECT_TRUE(Refused(room.check(room.member_event(kBob, kBob, "knock")))) << rule;
  }
}

TEST_P(Membership, R5_7_2_KnockOnBehalfOfAnotherIsRefused) {
  room.set_join_rule("knock");
  EXPECT_TRUE(Refused(room.check(room.member_event(kCreator, kBob, "knock"))));
}

TEST_P(Membership, R5_7_4_KnockWhenBannedInvitedOrJoinedIsRefused) {
  room.set_join_rule("knock");
  for (const char* membership : {"ban", "invite", "join"}) {
    room.set_member(kBob, membership, std::string(membership) == "join" ? kBob : kCreator);
    EXPECT_TRUE(Refused(room.check(room.member_event(kBob, kBob, "knock")))) << membership;
  }
}

// 5.8 -------------------------------------------------------------------------------------------

TEST_P(Membership, R5_8_UnknownMembershipIsRefused) {
  room.set_join_rule("public");
  room.set_member(kAlice, "join");
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "dance"))));
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "JOIN"))));
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kAlice, "join"))));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, Membership, ::testing::ValuesIn(kAllVersions), version_name);

// Differences between versions ---------------------------------------------------------------

TEST(MembershipV10, R4_3_1_FirstJoinIsForTheCreatorNamedInContent) {
  // v10: "the state_key is the creator" (content.creator), whoever sent the create event.
  Room room(room_version("10"), {{"creator", kCarol}});
  EXPECT_TRUE(Allowed(room.check(room.member_event(kCarol, kCarol, "join"))));
  EXPECT_TRUE(Refused(room.check(room.member_event(kCreator, kCreator, "join"))));
}

TEST(MembershipV11, R4_3_1_FirstJoinIsForTheCreateEventSender) {
  // v11: content.creator means nothing; the sender of the create event is the creator.
  Room room(room_version("11"), {{"creator", kCarol}});
  EXPECT_TRUE(Allowed(room.check(room.member_event(kCreator, kCreator, "join"))));
  EXPECT_TRUE(Refused(room.check(room.member_event(kCarol, kCarol, "join"))));
}

TEST(MembershipV12, R5_3_1_FirstJoinIsForTheSenderNotAdditionalCreators) {
  Room room(room_version("12"), {{"additional_creators", boost::json::array{kAlice}}});
  EXPECT_TRUE(Allowed(room.check(room.member_event(kCreator, kCreator, "join"))));
  EXPECT_TRUE(Refused(room.check(room.member_event(kAlice, kAlice, "join"))));
}

TEST(MembershipV12, CreatorsCannotBeKickedOrBannedEvenByUsersAt100) {
  Room room(room_version("12"), {{"additional_creators", boost::json::array{kAlice}}});
  room.set_member(kCreator, "join");
  room.set_member(kAlice, "join");
  room.set_member(kMod, "join");
  room.set_power_levels({{kMod, 100}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kAlice, "leave"))));
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kAlice, "ban"))));
  EXPECT_TRUE(Refused(room.check(room.member_event(kMod, kCreator, "ban"))));
  // A creator outranks anyone listed in users.
  EXPECT_TRUE(Allowed(room.check(room.member_event(kAlice, kMod, "ban"))));
  EXPECT_TRUE(Allowed(room.check(room.member_event(kCreator, kMod, "leave"))));
}

TEST(MembershipV11, CreatorAt100CannotKickAnotherUserAt100) {
  // Before v12 the creator's power is whatever power_levels says.
  Room room(room_version("11"));
  room.set_member(kCreator, "join");
  room.set_member(kMod, "join");
  room.set_power_levels({{kMod, 100}});
  EXPECT_TRUE(Refused(room.check(room.member_event(kCreator, kMod, "leave"))));
}

}  // namespace
}  // namespace domovoy
