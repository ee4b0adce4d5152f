// RoomEngine (rooms/room_engine.hpp) on a real database: restricted joins are authorised by
// this server, never by the client; the members summary follows membership; identical room
// creations get rooms of their own; identifiers past 255 bytes are refused; and
// unsigned.prev_content is read from the replaced event, so a redaction of it shows.
#include <gtest/gtest.h>

#include <algorithm>

#include "homeserver/client/event_format.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/tests/engine_fixture.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

using storage::Table;
using test::ThrowsApiError;

const std::string kCreator = "@creator:example.org";
const std::string kBob = "@bob:example.org";
const std::string kCarol = "@carol:example.org";
const std::string kMallory = "@mallory:example.org";

class RoomEngineTest : public test::EngineTest {
 protected:
  static boost::json::object restricted_to(const std::string& allowed_room, std::string rule = "restricted") {
    return {{"join_rule", rule},
            {"allow", boost::json::array{boost::json::object{{"type", "m.room_membership"}, {"room_id", allowed_room}}}}};
  }
  // The content of the user's membership event in the room's current state.
  boost::json::object member_content(const std::string& room_id, const std::string& user) {
    auto member = rooms->state_event(rooms->current_state(room_id), "m.room.member", user);
    if (!member) throw std::runtime_error("no member event for " + user);
    return member->content();
  }
  static std::string summary_of(const RoomMembersSummary& summary) {
    std::string out = std::to_string(summary.joined) + " joined, " + std::to_string(summary.invited) + " invited:";
    for (const auto& member : summary.first_members) out += " " + member;
    return out;
  }
};

// --- (a) restricted joins ---

TEST_F(RoomEngineTest, RestrictedJoinIsAuthorisedByALocalMemberWhoMayInvite) {
  auto space = create_room(kCreator);
  auto restricted = create_room(kCreator, restricted_to(space));
  join(space, kBob);
  auto event = join(restricted, kBob, {{"join_authorised_via_users_server", kMallory}});
  ASSERT_TRUE(event);
  EXPECT_EQ(rooms->current_membership(restricted, kBob), "join");
  auto stored = rooms->get_event(event->event_id);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->content().contains("join_authorised_via_users_server"));
  EXPECT_EQ(stored->content().at("join_authorised_via_users_server").as_string(), kCreator)
      << "the server chose who authorised the join, not the client";
  EXPECT_EQ(member_content(restricted, kBob).at("join_authorised_via_users_server").as_string(), kCreator);
}

TEST_F(RoomEngineTest, RestrictedJoinIgnoresAJoinedAuthoriserNamedByTheClient) {
  auto space = create_room(kCreator);
  auto restricted = create_room(kCreator, restricted_to(space));
  join(space, kBob);
  join(space, kCarol);
  join(restricted, kCarol);  // carol is joined and, without power levels, may invite
  auto event = join(restricted, kBob, {{"join_authorised_via_users_server", kCarol}});
  EXPECT_EQ(event->content().at("join_authorised_via_users_server").as_string(), kCreator);
}

TEST_F(RoomEngineTest, RestrictedJoinRefusesAUserNotInTheAllowedRoom) {
  auto space = create_room(kCreator);
  auto restricted = create_room(kCreator, restricted_to(space));
  auto before = rooms->current_stream();
  EXPECT_TRUE(ThrowsApiError([&] { join(restricted, kMallory); }, 403, "M_FORBIDDEN"));
  EXPECT_TRUE(ThrowsApiError([&] { join(restricted, kMallory, {{"join_authorised_via_users_server", kCreator}}); },
                             403, "M_FORBIDDEN"))
      << "naming an authoriser does not help";
  EXPECT_EQ(rooms->current_membership(restricted, kMallory), "leave");
  EXPECT_TRUE(rooms->room_events(restricted, before, rooms->current_stream(), 10, false).empty());
}

TEST_F(RoomEngineTest, RestrictedJoinRefusesAUserWhoLeftTheAllowedRoom) {
  auto space = create_room(kCreator);
  auto restricted = create_room(kCreator, restricted_to(space));
  join(space, kBob);
  leave(space, kBob);
  EXPECT_TRUE(ThrowsApiError([&] { join(restricted, kBob); }, 403, "M_FORBIDDEN"));
  EXPECT_EQ(rooms->current_membership(restricted, kBob), "leave");
}

TEST_F(RoomEngineTest, InvitedUserJoinsARestrictedRoomWithoutAnAuthoriser) {
  auto space = create_room(kCreator);
  auto restricted = create_room(kCreator, restricted_to(space));
  invite(restricted, kCreator, kMallory);
  auto event = join(restricted, kMallory, {{"join_authorised_via_users_server", kCreator}});
  EXPECT_EQ(rooms->current_membership(restricted, kMallory), "join");
  EXPECT_FALSE(event->content().contains("join_authorised_via_users_server"))
      << "an invited user's join needs no authoriser, and the client's is dropped";
}

TEST_F(RoomEngineTest, ClientAuthoriserNeverSurvivesInAPublicRoom) {
  auto room = create_room(kCreator);
  auto event = join(room, kBob, {{"join_authorised_via_users_server", kCreator}, {"displayname", "Bob"}});
  auto stored = rooms->get_event(event->event_id);
  EXPECT_FALSE(stored->content().contains("join_authorised_via_users_server"));
  EXPECT_EQ(stored->content().at("displayname").as_string(), "Bob") << "the rest of the content is kept";
  open();  // from storage, not the cache
  EXPECT_FALSE(rooms->get_event(event->event_id)->content().contains("join_authorised_via_users_server"));
  EXPECT_FALSE(member_content(room, kBob).contains("join_authorised_via_users_server"));
}

// --- (b) members summary ---

TEST_F(RoomEngineTest, MembersSummaryFollowsMembership) {
  auto room = create_room("@m:example.org");
  EXPECT_EQ(summary_of(rooms->members_summary(room)), "1 joined, 0 invited: @m:example.org");
  join(room, "@d:example.org");
  invite(room, "@m:example.org", "@b:example.org");
  invite(room, "@m:example.org", "@z:example.org");
  EXPECT_EQ(summary_of(rooms->members_summary(room)),
            "2 joined, 2 invited: @b:example.org @d:example.org @m:example.org @z:example.org")
      << "joined and invited together, in user id order";
  join(room, "@b:example.org");  // the invitee accepts
  EXPECT_EQ(summary_of(rooms->members_summary(room)),
            "3 joined, 1 invited: @b:example.org @d:example.org @m:example.org @z:example.org");
  leave(room, "@d:example.org");
  leave(room, "@z:example.org");  // rejects the invite
  EXPECT_EQ(summary_of(rooms->members_summary(room)), "2 joined, 0 invited: @b:example.org @m:example.org");
}

TEST_F(RoomEngineTest, MembersSummaryNamesAtMostTheFirstMembers) {
  auto room = create_room("@m:example.org");
  for (char c : std::string("hgfedcba")) join(room, std::string("@") + c + ":example.org");
  invite(room, "@m:example.org", "@aa:example.org");
  invite(room, "@m:example.org", "@zz:example.org");
  auto summary = rooms->members_summary(room);
  EXPECT_EQ(summary.joined, 9u);
  EXPECT_EQ(summary.invited, 2u);
  ASSERT_EQ(summary.first_members.size(), RoomMembersSummary::kFirstMembers);
  EXPECT_EQ(summary.first_members,
            (std::vector<std::string>{"@a:example.org", "@aa:example.org", "@b:example.org", "@c:example.org",
                                      "@d:example.org", "@e:example.org"}));
  leave(room, "@a:example.org");
  leave(room, "@aa:example.org");
  EXPECT_EQ(rooms->members_summary(room).first_members,
            (std::vector<std::string>{"@b:example.org", "@c:example.org", "@d:example.org", "@e:example.org",
                                      "@f:example.org", "@g:example.org"}));
  // A reopened engine rebuilds the same from the stored state.
  auto kept = summary_of(rooms->members_summary(room));
  open();
  EXPECT_EQ(summary_of(rooms->members_summary(room)), kept);
  EXPECT_EQ(summary_of(rooms->members_summary("!unknown:example.org")), "0 joined, 0 invited:");
}

// --- (c) identical creations ---

TEST_F(RoomEngineTest, IdenticalCreationsGetRoomsOfTheirOwn) {
  // Back to back, most pairs fall in one millisecond, where a v12 id (the create event's hash)
  // would be the same; the engine must move the later one on.
  std::vector<std::string> created;
  for (int i = 0; i < 20; ++i) {
    auto first = rooms->create_room(version("12"), kCreator, {{"m.federate", true}}, {});
    auto second = rooms->create_room(version("12"), kCreator, {{"m.federate", true}}, {});
    EXPECT_NE(first, second);
    created.push_back(first);
    created.push_back(second);
  }
  auto unique = created;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << "every room id is new";
  open();
  auto all = rooms->all_rooms();
  EXPECT_EQ(all.size(), created.size());
  for (const auto& room_id : created) {
    ASSERT_TRUE(rooms->room_exists(room_id)) << room_id;
    auto create = rooms->state_event(rooms->current_state(room_id), "m.room.create", "");
    ASSERT_TRUE(create) << room_id;
    EXPECT_EQ(create->room_id, room_id);
    EXPECT_EQ("!" + create->event_id.substr(1), room_id) << "a v12 room id is its create event's id";
    EXPECT_EQ(create->sender, kCreator);
    auto events = rooms->room_events(room_id, 0, rooms->current_stream(), 10, false);
    ASSERT_EQ(events.size(), 1u) << room_id;
    EXPECT_EQ(events[0]->event_id, create->event_id);
  }
}

TEST_F(RoomEngineTest, IdenticalCreationsWithInitialStateEachHaveTheirOwn) {
  auto first = create_room(kCreator);
  auto second = create_room(kCreator);
  ASSERT_NE(first, second);
  for (const auto& room_id : {first, second}) {
    EXPECT_EQ(rooms->current_membership(room_id, kCreator), "join");
    EXPECT_EQ(rooms->joined_members(room_id), std::vector<std::string>{kCreator});
    auto events = rooms->room_events(room_id, 0, rooms->current_stream(), 10, false);
    ASSERT_EQ(events.size(), 3u);
    for (const auto& event : events) EXPECT_EQ(event->room_id, room_id);
  }
}

// --- (d) identifier sizes ---

TEST_F(RoomEngineTest, SendRefusesIdentifiersLongerThan255Bytes) {
  auto room = create_room(kCreator);
  auto before = rooms->current_stream();
  const std::string long_type = "m." + std::string(254, 't');  // 256 bytes
  const std::string longest_type = "m." + std::string(253, 't');  // 255 bytes
  EXPECT_TRUE(ThrowsApiError([&] { send(room, state_draft(kCreator, long_type, "", {})); }, 400, "M_INVALID_PARAM"));
  EventDraft message;
  message.type = long_type;
  message.sender = kCreator;
  EXPECT_TRUE(ThrowsApiError([&] { send(room, message); }, 400, "M_INVALID_PARAM"));
  EXPECT_TRUE(ThrowsApiError([&] { send(room, state_draft(kCreator, "m.custom", std::string(256, 'k'), {})); }, 400,
                             "M_INVALID_PARAM"));
  // A multi-byte state key: 128 two-byte characters are 256 bytes.
  std::string wide;
  for (int i = 0; i < 128; ++i) wide += "\xc3\xa9";
  EXPECT_TRUE(ThrowsApiError([&] { send(room, state_draft(kCreator, "m.custom", wide, {})); }, 400,
                             "M_INVALID_PARAM"));
  EXPECT_TRUE(rooms->room_events(room, before, rooms->current_stream(), 10, false).empty()) << "nothing was stored";

  // 255 bytes are allowed.
  auto event = send(room, state_draft(kCreator, longest_type, std::string(255, 'k'), {{"ok", true}}));
  EXPECT_EQ(event->type.size(), 255u);
  EXPECT_EQ(event->state_key->size(), 255u);
}

// --- (e) prev_content ---

TEST_F(RoomEngineTest, PrevContentIsReadFromTheReplacedEventAndShowsItsRedaction) {
  auto room = create_room(kCreator);
  auto first = send(room, state_draft(kCreator, "m.room.topic", "", {{"topic", "one"}}));
  auto second = send(room, state_draft(kCreator, "m.room.topic", "", {{"topic", "two"}}));
  EXPECT_TRUE(first->replaces_state.empty());
  EXPECT_EQ(second->replaces_state, first->event_id);
  EXPECT_EQ(second->prev_sender, kCreator);

  // The stored record names the replaced event and copies none of its content.
  auto record = database->get(Table::eventid_event, second->event_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->find("prev_content"), std::string::npos) << *record;
  EXPECT_EQ(record->find("\"one\""), std::string::npos) << *record;
  EXPECT_FALSE(second->pdu.contains("unsigned"));
  open();
  auto loaded = rooms->get_event(second->event_id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->replaces_state, first->event_id);

  auto shown = client_event(*rooms, *loaded);
  EXPECT_EQ(to_json(shown.at("unsigned").at("prev_content")), R"({"topic":"one"})");
  EXPECT_EQ(shown.at("unsigned").at("replaces_state").as_string(), first->event_id);
  EXPECT_EQ(to_json(shown.at("content")), R"({"topic":"two"})");
  EXPECT_FALSE(client_event(*rooms, *rooms->get_event(first->event_id)).at("unsigned").as_object().contains("prev_content"));

  EventDraft redaction;
  redaction.type = "m.room.redaction";
  redaction.sender = kCreator;
  redaction.redacts = first->event_id;
  send(room, redaction);
  EXPECT_FALSE(rooms->get_event(first->event_id)->redacted_by.empty());
  shown = client_event(*rooms, *rooms->get_event(second->event_id));
  EXPECT_EQ(to_json(shown.at("unsigned").at("prev_content")), "{}") << "the redacted topic keeps no content";
  EXPECT_EQ(to_json(shown.at("content")), R"({"topic":"two"})") << "the current topic is untouched";

  open();  // the same from storage
  shown = client_event(*rooms, *rooms->get_event(second->event_id));
  EXPECT_EQ(to_json(shown.at("unsigned").at("prev_content")), "{}");
}

}  // namespace
}  // namespace domovoy
