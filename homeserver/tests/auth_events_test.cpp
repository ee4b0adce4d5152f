// Auth events: the selection algorithm (server-server-api: "Auth events selection") and the rule
// on the shape of an event's auth_events (v12 rule 3; v10/v11 rule 2).
#include <gtest/gtest.h>

#include "homeserver/tests/auth_fixture.hpp"

namespace domovoy {
namespace {

using namespace domovoy::test;

std::vector<StateKey> keys(std::initializer_list<StateKey> list) {
  std::vector<StateKey> out(list);
  std::sort(out.begin(), out.end());
  return out;
}

class AuthEvents : public ::testing::TestWithParam<const char*> {
 protected:
  AuthEvents() : room(room_version(GetParam())) { room.make_standard(); }
  bool v12() const { return room.version().room_id_from_create; }
  // The expected selection: the create event only before v12.
  std::vector<StateKey> with_create(std::initializer_list<StateKey> list) {
    std::vector<StateKey> out(list);
    if (!v12()) out.push_back({"m.room.create", ""});
    std::sort(out.begin(), out.end());
    return out;
  }
  std::shared_ptr<Event> state_event(const std::string& type, const std::string& state_key,
                                     boost::json::object content = {{"membership", "join"}}) {
    return room.event(type, state_key, kCreator, std::move(content));
  }
  Room room;
};

TEST_P(AuthEvents, SelectionForCreateIsEmpty) {
  EXPECT_TRUE(auth_event_keys(*room.create(), room.version()).empty());
}

TEST_P(AuthEvents, SelectionForMessage) {
  EXPECT_EQ(auth_event_keys(*room.message(kAlice), room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kAlice}}));
}

TEST_P(AuthEvents, SelectionForOwnJoin) {
  EXPECT_EQ(auth_event_keys(*room.member_event(kAlice, kAlice, "join"), room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kAlice}, {"m.room.join_rules", ""}}));
}

TEST_P(AuthEvents, SelectionForInviteKnockLeaveBan) {
  EXPECT_EQ(auth_event_keys(*room.member_event(kCreator, kBob, "invite"), room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kCreator}, {"m.room.member", kBob},
                         {"m.room.join_rules", ""}}));
  EXPECT_EQ(auth_event_keys(*room.member_event(kBob, kBob, "knock"), room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kBob}, {"m.room.join_rules", ""}}));
  EXPECT_EQ(auth_event_keys(*room.member_event(kMod, kBob, "leave"), room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kMod}, {"m.room.member", kBob}}));
  EXPECT_EQ(auth_event_keys(*room.member_event(kMod, kBob, "ban"), room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kMod}, {"m.room.member", kBob}}));
}

TEST_P(AuthEvents, SelectionForThirdPartyInviteAddsTheTokensEvent) {
  auto invite = room.member_event(kCreator, kBob, "invite",
                                  {{"third_party_invite", {{"signed", {{"mxid", kBob}, {"token", "tok"}}}}}});
  EXPECT_EQ(auth_event_keys(*invite, room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kCreator}, {"m.room.member", kBob},
                         {"m.room.join_rules", ""}, {"m.room.third_party_invite", "tok"}}));
}

TEST_P(AuthEvents, SelectionForRestrictedJoinAddsTheAuthorisingMember) {
  auto join = room.member_event(kAlice, kAlice, "join", {{"join_authorised_via_users_server", kMod}});
  EXPECT_EQ(auth_event_keys(*join, room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kAlice}, {"m.room.join_rules", ""},
                         {"m.room.member", kMod}}));
  // Only for joins.
  auto leave = room.member_event(kAlice, kAlice, "leave", {{"join_authorised_via_users_server", kMod}});
  EXPECT_EQ(auth_event_keys(*leave, room.version()),
            with_create({{"m.room.power_levels", ""}, {"m.room.member", kAlice}}));
}

TEST_P(AuthEvents, R3_SelectedAuthEventsAreAllowed) {
  auto message = room.message(kAlice);
  std::vector<EventPtr> auth{state_event("m.room.power_levels", "", {}), state_event("m.room.member", kAlice)};
  if (!v12()) auth.push_back(room.create());
  EXPECT_TRUE(Allowed(check_auth_events_shape(*message, auth, room.version())));
}

TEST_P(AuthEvents, R3_1_DuplicateTypeAndStateKeyIsRefused) {
  auto message = room.message(kAlice);
  std::vector<EventPtr> auth{state_event("m.room.power_levels", "", {}), state_event("m.room.power_levels", "", {}),
                             state_event("m.room.member", kAlice)};
  if (!v12()) auth.push_back(room.create());
  EXPECT_TRUE(Refused(check_auth_events_shape(*message, auth, room.version())));
}

TEST_P(AuthEvents, R3_2_EventNotSelectedIsRefused) {
  auto message = room.message(kAlice);
  std::vector<EventPtr> auth{state_event("m.room.power_levels", "", {}), state_event("m.room.member", kAlice),
                             state_event("m.room.join_rules", "", {{"join_rule", "public"}})};
  if (!v12()) auth.push_back(room.create());
  EXPECT_TRUE(Refused(check_auth_events_shape(*message, auth, room.version()))) << "join rules for a message";
  std::vector<EventPtr> other_member{state_event("m.room.member", kBob)};
  if (!v12()) other_member.push_back(room.create());
  EXPECT_TRUE(Refused(check_auth_events_shape(*message, other_member, room.version()))) << "someone else's member";
  std::vector<EventPtr> not_state{room.message(kCreator)};
  if (!v12()) not_state.push_back(room.create());
  EXPECT_TRUE(Refused(check_auth_events_shape(*message, not_state, room.version()))) << "not a state event";
}

TEST_P(AuthEvents, R3_5_AuthEventFromAnotherRoomIsRefused) {
  auto message = room.message(kAlice);
  auto foreign = state_event("m.room.member", kAlice);
  foreign->room_id = "!elsewhere:a.example";
  foreign->pdu["room_id"] = foreign->room_id;
  std::vector<EventPtr> auth{state_event("m.room.power_levels", "", {}), foreign};
  if (!v12()) auth.push_back(room.create());
  EXPECT_TRUE(Refused(check_auth_events_shape(*message, auth, room.version())));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, AuthEvents, ::testing::ValuesIn(kAllVersions), version_name);

TEST(AuthEventsV10V11, R2_4_MissingCreateEventIsRefused) {
  for (const char* id : {"10", "11"}) {
    Room room(room_version(id));
    room.make_standard();
    auto message = room.message(kCreator);
    auto member = room.event("m.room.member", kCreator, kCreator, {{"membership", "join"}});
    EXPECT_TRUE(Refused(check_auth_events_shape(*message, {member}, room.version()))) << id;
    EXPECT_TRUE(Allowed(check_auth_events_shape(*message, {member, room.create()}, room.version()))) << id;
  }
}

TEST(AuthEventsV12, R3_2_CreateEventMustNotBeSelected) {
  Room room(room_version("12"));
  room.make_standard();
  auto message = room.message(kCreator);
  auto member = room.event("m.room.member", kCreator, kCreator, {{"membership", "join"}});
  EXPECT_TRUE(Refused(check_auth_events_shape(*message, {member, room.create()}, room.version())));
  EXPECT_TRUE(Allowed(check_auth_events_shape(*message, {member}, room.version())));
  EXPECT_EQ(auth_event_keys(*message, room.version()),
            keys({{"m.room.power_levels", ""}, {"m.room.member", kCreator}}));
}

}  // namespace
}  // namespace domovoy
