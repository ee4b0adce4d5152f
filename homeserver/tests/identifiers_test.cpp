// Identifier grammars (appendices: "Identifier Grammar"), with the spec's examples
// (test-vectors.md A6).
#include <gtest/gtest.h>

#include "homeserver/core/identifiers.hpp"

namespace domovoy {
namespace {

TEST(ServerName, SpecExamplesAreValid) {
  for (const char* name : {"matrix.org", "matrix.org:8888", "1.2.3.4", "1.2.3.4:1234", "[1234:5678::abcd]",
                           "[1234:5678::abcd]:5678"})
    EXPECT_TRUE(is_valid_server_name(name)) << name;
}

TEST(ServerName, OtherValidNames) {
  for (const char* name : {"localhost", "MATRIX.ORG", "a-b.example", "example.org:1", "example.org:65535", "[::1]",
                           "[::ffff:1.2.3.4]:8448", "xn--bcher-kva.example"})
    EXPECT_TRUE(is_valid_server_name(name)) << name;
}

TEST(ServerName, InvalidNames) {
  for (const char* name : {"", ":8448", "matrix.org:", "matrix.org:65536", "matrix.org:99999", "matrix.org:123456",
                           "matrix.org:http", "matrix.org:-1", "under_score.org", "space here.org", "matrix.org/path",
                           "[1234:5678::abcd", "[]", "[1234:5678::abcd]x", "[1234:5678::abcd]:", "[zz::1]",
                           "@matrix.org", "matrix.org:80:80"})
    EXPECT_FALSE(is_valid_server_name(name)) << name;
  EXPECT_FALSE(is_valid_server_name(std::string(256, 'a')));
  EXPECT_TRUE(is_valid_server_name(std::string(255, 'a')));
}

TEST(UserLocalpart, AllowsOnlyTheCurrentGrammar) {
  EXPECT_TRUE(is_valid_user_localpart("alice"));
  EXPECT_TRUE(is_valid_user_localpart("a.b_c=d-e/f+g0123456789"));
  EXPECT_TRUE(is_valid_user_localpart("_a"));     // "A" mapped case-preservingly (A6)
  EXPECT_TRUE(is_valid_user_localpart("=23"));    // "#" mapped (A6)
  EXPECT_TRUE(is_valid_user_localpart("=c3=a1"));  // "á" mapped (A6)
  for (const char* bad : {"", "Alice", "al ice", "al:ice", "al#ice", "al@ice", "\xc3\xa1", "al!ice", "al~ice"})
    EXPECT_FALSE(is_valid_user_localpart(bad)) << bad;
}

TEST(UserId, Valid) {
  for (const char* id : {"@alice:matrix.org", "@alice:matrix.org:8888", "@a:1.2.3.4", "@a:[1234:5678::abcd]:5678",
                         "@Historical~Name!:example.org", "@a.b_c=d-e/f+g:localhost"})
    EXPECT_TRUE(is_valid_user_id(id)) << id;
}

TEST(UserId, Invalid) {
  for (const char* id : {"", "alice:matrix.org", "@alice", "@:matrix.org", "@alice:", "@alice:bad_host",
                         "@al ice:matrix.org", "@al\x7fice:matrix.org", "#alice:matrix.org", "@a\xc3\xa1:x.org"})
    EXPECT_FALSE(is_valid_user_id(id)) << id;
}

TEST(UserId, AtMost255Bytes) {
  std::string server = ":example.org";
  std::string longest = "@" + std::string(255 - 1 - server.size(), 'a') + server;
  ASSERT_EQ(longest.size(), 255u);
  EXPECT_TRUE(is_valid_user_id(longest));
  EXPECT_FALSE(is_valid_user_id("@a" + longest.substr(1)));
}

TEST(UserId, ServerNamesAreCaseSensitive) {
  // "@user:matrix.org" and "@user:MATRIX.ORG" are different users (A6).
  EXPECT_TRUE(is_valid_user_id("@user:MATRIX.ORG"));
  EXPECT_NE(server_name_of("@user:matrix.org"), server_name_of("@user:MATRIX.ORG"));
}

TEST(Identifiers, ServerNameAndLocalpartOf) {
  EXPECT_EQ(server_name_of("@alice:example.org"), "example.org");
  EXPECT_EQ(server_name_of("@alice:example.org:8448"), "example.org:8448");
  EXPECT_EQ(server_name_of("!room:[::1]:8448"), "[::1]:8448");
  EXPECT_EQ(server_name_of("$opaque"), "");
  EXPECT_EQ(localpart_of("@alice:example.org"), "alice");
  EXPECT_EQ(localpart_of("#room:example.org"), "room");
  EXPECT_EQ(localpart_of("$nocolon"), "nocolon");
  EXPECT_EQ(localpart_of(""), "");
}

TEST(RoomAlias, ValidAndInvalid) {
  EXPECT_TRUE(is_valid_room_alias("#room:example.org"));
  EXPECT_TRUE(is_valid_room_alias("#Room-ünïcode:example.org:8448"));
  for (const char* bad : {"", "room:example.org", "#room", "#:example.org", "#ro om:example.org", "#room:bad_host",
                          "!room:example.org"})
    EXPECT_FALSE(is_valid_room_alias(bad)) << bad;
}

TEST(RoomId, ValidAndInvalid) {
  EXPECT_TRUE(is_valid_room_id("!opaque:example.org"));
  EXPECT_TRUE(is_valid_room_id("!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ"));  // v12 shape
  for (const char* bad : {"", "!", "room:example.org", "!ro om:x", "!a/b:x", "#room:x"})
    EXPECT_FALSE(is_valid_room_id(bad)) << bad;
  EXPECT_FALSE(is_valid_room_id("!" + std::string(255, 'a')));
}

TEST(EventId, SpecShapes) {
  // A6: v3 standard Base64 and v4+ URL-safe forms, and the v1/v2 "$opaque:domain" form.
  for (const char* id : {"$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk", "$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o",
                         "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg", "$opaque_id:domain"})
    EXPECT_TRUE(is_valid_event_id(id)) << id;
  for (const char* bad : {"", "$", "Rqnc-F-dvnEYJTyHq", "$with space", "!room:x"})
    EXPECT_FALSE(is_valid_event_id(bad)) << bad;
}

}  // namespace
}  // namespace domovoy
