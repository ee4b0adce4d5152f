// Event and sync filters (client-server-api: "Filtering"; definitions/event_filter.yaml,
// room_event_filter.yaml, sync_filter.yaml).
#include <gtest/gtest.h>

#include "homeserver/core/api_error.hpp"
#include "homeserver/sync/filter.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy {
namespace {

EventFilter event_filter(std::string_view json) { return parse_event_filter(test::parse_object(json)); }

std::string errcode_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const ApiError& error) {
    return error.errcode();
  }
  return "(no error)";
}

TEST(EventFilter, EmptyFilterMatchesEverything) {
  auto filter = event_filter("{}");
  EXPECT_TRUE(filter.matches("m.room.message", "@a:x"));
  EXPECT_TRUE(filter.matches_room("!r:x"));
  EXPECT_FALSE(filter.limit.has_value());
  EXPECT_FALSE(filter.lazy_load_members);
}

TEST(EventFilter, TypesIncludeOnlyListed) {
  auto filter = event_filter(R"({"types":["m.room.message","m.room.member"]})");
  EXPECT_TRUE(filter.matches("m.room.message", "@a:x"));
  EXPECT_TRUE(filter.matches("m.room.member", "@a:x"));
  EXPECT_FALSE(filter.matches("m.room.topic", "@a:x"));
  EXPECT_FALSE(filter.matches("m.room.message.extra", "@a:x"));
}

TEST(EventFilter, EmptyTypesListMatchesNothing) {
  auto filter = event_filter(R"({"types":[]})");
  EXPECT_FALSE(filter.matches("m.room.message", "@a:x"));
}

TEST(EventFilter, TrailingWildcard) {
  auto filter = event_filter(R"({"types":["m.room.*"]})");
  EXPECT_TRUE(filter.matches("m.room.message", "@a:x"));
  EXPECT_TRUE(filter.matches("m.room.", "@a:x"));
  EXPECT_FALSE(filter.matches("m.call.invite", "@a:x"));
  EXPECT_TRUE(event_filter(R"({"types":["*"]})").matches("anything", "@a:x"));
}

TEST(EventFilter, WildcardMatchesAnySequenceAnywhere) {
  // "A `*` can be used as a wildcard to match any sequence of characters" (event_filter.yaml).
  auto filter = event_filter(R"({"types":["m.*.member","*.message"]})");
  EXPECT_TRUE(filter.matches("m.room.member", "@a:x"));
  EXPECT_TRUE(filter.matches("m.room.message", "@a:x"));
  EXPECT_TRUE(filter.matches("org.example.message", "@a:x"));
  EXPECT_FALSE(filter.matches("m.room.topic", "@a:x"));
  auto excluding = event_filter(R"({"not_types":["*.typing"]})");
  EXPECT_FALSE(excluding.matches("m.typing", "@a:x"));
  EXPECT_TRUE(excluding.matches("m.receipt", "@a:x"));
}

TEST(EventFilter, NotTypesWinOverTypes) {
  auto filter = event_filter(R"({"types":["m.room.*"],"not_types":["m.room.member"]})");
  EXPECT_TRUE(filter.matches("m.room.message", "@a:x"));
  EXPECT_FALSE(filter.matches("m.room.member", "@a:x"));
}

TEST(EventFilter, SendersAndNotSenders) {
  auto filter = event_filter(R"({"senders":["@a:x","@b:x"],"not_senders":["@b:x"]})");
  EXPECT_TRUE(filter.matches("m.room.message", "@a:x"));
  EXPECT_FALSE(filter.matches("m.room.message", "@b:x"));
  EXPECT_FALSE(filter.matches("m.room.message", "@c:x"));
  // Senders are exact, never wildcards.
  EXPECT_FALSE(event_filter(R"({"senders":["@a*"]})").matches("m.room.message", "@a:x"));
}

TEST(EventFilter, RoomsAndNotRooms) {
  auto filter = event_filter(R"({"rooms":["!a:x","!b:x"],"not_rooms":["!b:x"]})");
  EXPECT_TRUE(filter.matches_room("!a:x"));
  EXPECT_FALSE(filter.matches_room("!b:x"));
  EXPECT_FALSE(filter.matches_room("!c:x"));
}

TEST(EventFilter, MatchesEventChecksTypeSenderAndRoom) {
  auto filter = event_filter(R"({"types":["m.room.message"],"senders":["@a:x"],"rooms":["!r:x"]})");
  auto event = Event::from_pdu(test::parse_object(R"({"type":"m.room.message","sender":"@a:x","content":{}})"), "$e",
                               "!r:x");
  EXPECT_TRUE(filter.matches(*event));
  event->room_id = "!other:x";
  EXPECT_FALSE(filter.matches(*event));
}

TEST(EventFilter, LimitAndLazyLoading) {
  auto filter = event_filter(R"({"limit":20,"lazy_load_members":true,"include_redundant_members":true})");
  EXPECT_EQ(filter.limit, 20u);
  EXPECT_TRUE(filter.lazy_load_members);
  EXPECT_TRUE(filter.include_redundant_members);
  EXPECT_EQ(event_filter(R"({"limit":1000000})").limit, 1000u) << "capped";
}

TEST(EventFilter, MalformedFiltersAreRefused) {
  EXPECT_EQ(errcode_of([] { event_filter(R"({"limit":0})"); }), "M_INVALID_PARAM");
  EXPECT_EQ(errcode_of([] { event_filter(R"({"limit":-5})"); }), "M_INVALID_PARAM");
  EXPECT_EQ(errcode_of([] { event_filter(R"({"limit":"10"})"); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { event_filter(R"({"types":"m.room.message"})"); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { event_filter(R"({"types":[1]})"); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { event_filter(R"({"not_senders":{}})"); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { event_filter(R"({"lazy_load_members":"yes"})"); }), "M_BAD_JSON");
}

TEST(SyncFilter, ParsesEverySection) {
  auto filter = parse_sync_filter(test::parse_object(R"({
    "event_fields": ["type", "content.body"],
    "event_format": "client",
    "presence": {"types": ["m.presence"]},
    "account_data": {"not_types": ["m.push_rules"]},
    "room": {
      "rooms": ["!a:x", "!b:x"], "not_rooms": ["!b:x"], "include_leave": true,
      "timeline": {"limit": 10, "types": ["m.room.message"]},
      "state": {"lazy_load_members": true},
      "ephemeral": {"not_types": ["m.typing"]},
      "account_data": {"types": ["m.tag"]}
    }
  })"));
  EXPECT_EQ(filter.event_fields, (std::vector<std::string>{"type", "content.body"}));
  EXPECT_TRUE(filter.includes_room("!a:x"));
  EXPECT_FALSE(filter.includes_room("!b:x"));
  EXPECT_FALSE(filter.includes_room("!c:x"));
  EXPECT_TRUE(filter.include_leave);
  EXPECT_EQ(filter.timeline.limit, 10u);
  EXPECT_FALSE(filter.timeline.matches("m.room.member", "@a:x"));
  EXPECT_TRUE(filter.state.lazy_load_members);
  EXPECT_FALSE(filter.ephemeral.matches("m.typing", "@a:x"));
  EXPECT_TRUE(filter.room_account_data.matches("m.tag", "@a:x"));
  EXPECT_FALSE(filter.room_account_data.matches("m.other", "@a:x"));
  EXPECT_FALSE(filter.account_data.matches("m.push_rules", "@a:x"));
  EXPECT_TRUE(filter.presence.matches("m.presence", "@a:x"));
}

TEST(SyncFilter, EmptyFilterIncludesEverything) {
  auto filter = parse_sync_filter({});
  EXPECT_TRUE(filter.includes_room("!any:x"));
  EXPECT_FALSE(filter.include_leave);
  EXPECT_TRUE(filter.timeline.matches("m.room.message", "@a:x"));
  EXPECT_FALSE(filter.timeline.limit.has_value());
}

TEST(SyncFilter, MalformedFiltersAreRefused) {
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"event_format":"xml"})")); }), "M_INVALID_PARAM");
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"event_format":1})")); }), "M_INVALID_PARAM");
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"room":[]})")); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"room":{"timeline":5}})")); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"event_fields":"type"})")); }), "M_BAD_JSON");
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"room":{"timeline":{"limit":0}}})")); }),
            "M_INVALID_PARAM");
  EXPECT_EQ(errcode_of([] { parse_sync_filter(test::parse_object(R"({"event_format":"federation"})")); }), "(no error)");
}

}  // namespace
}  // namespace domovoy
