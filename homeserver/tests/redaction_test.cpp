// The redaction algorithm per event type: room v10 (rooms/fragments/v9-redactions.md) against
// v11/v12 (rooms/fragments/v11-redactions.md).
#include <gtest/gtest.h>

#include "homeserver/events/pdu.hpp"
#include "homeserver/events/room_version.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy {
namespace {

const RoomVersion& version(const char* id) { return *find_room_version(id); }

// An event carrying every top-level key either algorithm knows, and some neither knows.
boost::json::object full_event(std::string_view type, boost::json::object content) {
  auto event = test::parse_object(R"json({
    "event_id": "$e:x", "room_id": "!r:x", "sender": "@s:x", "state_key": "",
    "hashes": {"sha256": "h"}, "signatures": {"x": {"ed25519:1": "sig"}},
    "depth": 7, "prev_events": ["$p"], "auth_events": ["$a"], "origin_server_ts": 123,
    "origin": "x", "membership": "join", "prev_state": [],
    "unsigned": {"age": 1}, "extra_top_level": true, "redacts": "$old"
  })json");
  event["type"] = type;
  event["content"] = std::move(content);
  return event;
}

TEST(RoomVersions, KnowsTenElevenTwelveOnly) {
  ASSERT_NE(find_room_version("10"), nullptr);
  ASSERT_NE(find_room_version("11"), nullptr);
  ASSERT_NE(find_room_version("12"), nullptr);
  EXPECT_EQ(find_room_version("9"), nullptr);
  EXPECT_EQ(find_room_version("13"), nullptr);
  EXPECT_EQ(find_room_version(""), nullptr);
  EXPECT_FALSE(version("10").v11_redaction);
  EXPECT_TRUE(version("11").v11_redaction);
  EXPECT_TRUE(version("12").v11_redaction);
  EXPECT_FALSE(version("11").room_id_from_create);
  EXPECT_TRUE(version("12").room_id_from_create);
  EXPECT_EQ(supported_room_versions_end() - supported_room_versions_begin(), 3);
  EXPECT_NE(find_room_version(kDefaultRoomVersion), nullptr);
}

TEST(Redaction, V10KeepsOriginMembershipPrevState) {
  auto redacted = redact_event(full_event("m.room.message", test::parse_object(R"({"body":"hi"})")), version("10"));
  EXPECT_EQ(boost::json::value(redacted), test::parse(R"json({
    "event_id": "$e:x", "type": "m.room.message", "room_id": "!r:x", "sender": "@s:x", "state_key": "",
    "content": {}, "hashes": {"sha256": "h"}, "signatures": {"x": {"ed25519:1": "sig"}},
    "depth": 7, "prev_events": ["$p"], "auth_events": ["$a"], "origin_server_ts": 123,
    "origin": "x", "membership": "join", "prev_state": []
  })json"));
}

class RedactionV11 : public ::testing::TestWithParam<const char*> {};

TEST_P(RedactionV11, DropsOriginMembershipPrevState) {
  auto redacted = redact_event(full_event("m.room.message", test::parse_object(R"({"body":"hi"})")), version(GetParam()));
  EXPECT_EQ(boost::json::value(redacted), test::parse(R"json({
    "event_id": "$e:x", "type": "m.room.message", "room_id": "!r:x", "sender": "@s:x", "state_key": "",
    "content": {}, "hashes": {"sha256": "h"}, "signatures": {"x": {"ed25519:1": "sig"}},
    "depth": 7, "prev_events": ["$p"], "auth_events": ["$a"], "origin_server_ts": 123
  })json"));
}

TEST_P(RedactionV11, CreateKeepsWholeContent) {
  auto content = test::parse_object(R"({"creator":"@s:x","room_version":"11","m.federate":false,"type":"m.space","x":[1]})");
  auto redacted = redact_event(full_event("m.room.create", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"), boost::json::value(content));
}

TEST_P(RedactionV11, PowerLevelsKeepInvite) {
  auto content = test::parse_object(R"({"ban":50,"events":{"a":1},"events_default":0,"invite":25,"kick":50,
    "redact":50,"state_default":50,"users":{"@s:x":100},"users_default":0,"notifications":{"room":50},"x":1})");
  auto redacted = redact_event(full_event("m.room.power_levels", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"ban":50,"events":{"a":1},"events_default":0,"invite":25,
    "kick":50,"redact":50,"state_default":50,"users":{"@s:x":100},"users_default":0})"));
}

TEST_P(RedactionV11, RedactionKeepsRedactsInContent) {
  auto redacted = redact_event(full_event("m.room.redaction", test::parse_object(R"({"redacts":"$old","reason":"spam"})")),
                               version(GetParam()));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"redacts":"$old"})"));
  EXPECT_FALSE(redacted.contains("redacts"));  // not a top-level key any more
}

TEST_P(RedactionV11, MemberKeepsSignedPartOfThirdPartyInvite) {
  auto content = test::parse_object(R"({"membership":"invite","displayname":"S","avatar_url":"mxc://x/y",
    "join_authorised_via_users_server":"@v:x",
    "third_party_invite":{"display_name":"s...@x","signed":{"mxid":"@s:x","token":"t","signatures":{}}}})");
  auto redacted = redact_event(full_event("m.room.member", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"membership":"invite","join_authorised_via_users_server":"@v:x",
    "third_party_invite":{"signed":{"mxid":"@s:x","token":"t","signatures":{}}}})"));
}

TEST_P(RedactionV11, MemberWithoutSignedDropsThirdPartyInvite) {
  auto content = test::parse_object(R"({"membership":"invite","third_party_invite":{"display_name":"d"}})");
  auto redacted = redact_event(full_event("m.room.member", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"membership":"invite"})"));
}

INSTANTIATE_TEST_SUITE_P(V11AndV12, RedactionV11, ::testing::Values("11", "12"),
                         [](const auto& info) { return std::string("v") + info.param; });

TEST(Redaction, V10CreateKeepsOnlyCreator) {
  auto content = test::parse_object(R"({"creator":"@s:x","room_version":"10","m.federate":false})");
  auto redacted = redact_event(full_event("m.room.create", content), version("10"));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"creator":"@s:x"})"));
}

TEST(Redaction, V10PowerLevelsDropInvite) {
  auto content = test::parse_object(R"({"ban":50,"events":{},"events_default":0,"invite":25,"kick":50,"redact":50,
    "state_default":50,"users":{},"users_default":0,"notifications":{"room":50}})");
  auto redacted = redact_event(full_event("m.room.power_levels", content), version("10"));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"ban":50,"events":{},"events_default":0,"kick":50,"redact":50,
    "state_default":50,"users":{},"users_default":0})"));
}

TEST(Redaction, V10RedactionContentIsEmptiedAndTopLevelRedactsDropped) {
  auto redacted = redact_event(full_event("m.room.redaction", test::parse_object(R"({"redacts":"$old"})")), version("10"));
  EXPECT_EQ(redacted.at("content"), test::parse("{}"));
  EXPECT_FALSE(redacted.contains("redacts"));
}

TEST(Redaction, V10MemberDropsThirdPartyInvite) {
  auto content = test::parse_object(R"({"membership":"invite","join_authorised_via_users_server":"@v:x",
    "third_party_invite":{"signed":{"mxid":"@s:x","token":"t"}}})");
  auto redacted = redact_event(full_event("m.room.member", content), version("10"));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"membership":"invite","join_authorised_via_users_server":"@v:x"})"));
}

class RedactionAllVersions : public ::testing::TestWithParam<const char*> {};

TEST_P(RedactionAllVersions, JoinRulesKeepJoinRuleAndAllow) {
  auto content = test::parse_object(R"({"join_rule":"restricted","allow":[{"type":"m.room_membership","room_id":"!o:x"}],"x":1})");
  auto redacted = redact_event(full_event("m.room.join_rules", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"),
            test::parse(R"({"join_rule":"restricted","allow":[{"type":"m.room_membership","room_id":"!o:x"}]})"));
}

TEST_P(RedactionAllVersions, HistoryVisibilityKeepsHistoryVisibility) {
  auto content = test::parse_object(R"({"history_visibility":"shared","x":1})");
  auto redacted = redact_event(full_event("m.room.history_visibility", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"history_visibility":"shared"})"));
}

TEST_P(RedactionAllVersions, MemberKeepsMembershipAndAuthorisingServer) {
  auto content = test::parse_object(R"({"membership":"join","displayname":"S","join_authorised_via_users_server":"@v:x"})");
  auto redacted = redact_event(full_event("m.room.member", content), version(GetParam()));
  EXPECT_EQ(redacted.at("content"), test::parse(R"({"membership":"join","join_authorised_via_users_server":"@v:x"})"));
}

TEST_P(RedactionAllVersions, OtherTypesLoseAllContent) {
  for (const char* type : {"m.room.message", "m.room.name", "m.room.topic", "m.room.aliases", "m.room.encryption",
                           "m.room.third_party_invite", "org.example.custom"}) {
    auto redacted = redact_event(full_event(type, test::parse_object(R"({"name":"n","topic":"t","aliases":["#a:x"]})")),
                                 version(GetParam()));
    EXPECT_EQ(redacted.at("content"), test::parse("{}")) << type;
  }
}

TEST_P(RedactionAllVersions, DropsUnsignedAndUnknownTopLevelKeys) {
  auto redacted = redact_event(full_event("m.room.message", {}), version(GetParam()));
  EXPECT_FALSE(redacted.contains("unsigned"));
  EXPECT_FALSE(redacted.contains("extra_top_level"));
  EXPECT_TRUE(redacted.contains("signatures"));
  EXPECT_TRUE(redacted.contains("hashes"));
}

TEST_P(RedactionAllVersions, KeepsAbsentKeysAbsent) {
  auto event = test::parse_object(R"({"type":"m.room.message","sender":"@s:x","content":{"body":"b"}})");
  auto redacted = redact_event(event, version(GetParam()));
  EXPECT_EQ(boost::json::value(redacted), test::parse(R"({"type":"m.room.message","sender":"@s:x","content":{}})"));
}

TEST_P(RedactionAllVersions, IsIdempotent) {
  auto content = test::parse_object(R"({"membership":"join","displayname":"S"})");
  auto once = redact_event(full_event("m.room.member", content), version(GetParam()));
  EXPECT_EQ(redact_event(once, version(GetParam())), once);
}

INSTANTIATE_TEST_SUITE_P(AllVersions, RedactionAllVersions, ::testing::Values("10", "11", "12"),
                         [](const auto& info) { return std::string("v") + info.param; });

}  // namespace
}  // namespace domovoy
