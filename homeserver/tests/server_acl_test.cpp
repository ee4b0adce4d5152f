// m.room.server_acl as the spec describes it: deny before allow, globs on the name without its
// port, IP literals refused unless allowed, nothing allowed without an allow entry.
#include "homeserver/rooms/server_acl.hpp"

#include <gtest/gtest.h>

#include "homeserver/tests/test_support.hpp"

namespace domovoy {
namespace {

TEST(ServerAcl, GlobsMatchAnyRunAndOneCharacter) {
  EXPECT_TRUE(server_glob_matches("*", "spb.example.org"));
  EXPECT_TRUE(server_glob_matches("*.example.org", "spb.example.org"));
  EXPECT_FALSE(server_glob_matches("*.example.org", "example.org"));
  EXPECT_TRUE(server_glob_matches("sp?.example.org", "spb.example.org"));
  EXPECT_FALSE(server_glob_matches("sp?.example.org", "spbb.example.org"));
  EXPECT_TRUE(server_glob_matches("*b*e*", "spb.example.org"));
  EXPECT_TRUE(server_glob_matches("SPB.example.org", "spb.EXAMPLE.org"));
  EXPECT_FALSE(server_glob_matches("", "x"));
}

TEST(ServerAcl, DenyComesBeforeAllowAndPortsAreIgnored) {
  auto acl = test::parse_object(R"({"allow": ["*"], "deny": ["evil.example", "*.evil.example"]})");
  EXPECT_TRUE(server_acl_allows(acl, "spb.example.org"));
  EXPECT_TRUE(server_acl_allows(acl, "spb.example.org:8448"));
  EXPECT_FALSE(server_acl_allows(acl, "evil.example"));
  EXPECT_FALSE(server_acl_allows(acl, "evil.example:443"));
  EXPECT_FALSE(server_acl_allows(acl, "matrix.evil.example"));
}

TEST(ServerAcl, NothingIsAllowedWithoutAnAllowEntry) {
  EXPECT_FALSE(server_acl_allows(test::parse_object(R"({"deny": []})"), "spb.example.org"));
  EXPECT_FALSE(server_acl_allows(test::parse_object(R"({"allow": "*"})"), "spb.example.org"));
  auto only = test::parse_object(R"({"allow": ["*.spb.example.org"]})");
  EXPECT_TRUE(server_acl_allows(only, "matrix.spb.example.org"));
  EXPECT_FALSE(server_acl_allows(only, "msk.example.org"));
}

TEST(ServerAcl, IpLiteralsAreRefusedWhenTheAclSaysSo) {
  auto acl = test::parse_object(R"({"allow": ["*"], "allow_ip_literals": false})");
  EXPECT_FALSE(server_acl_allows(acl, "192.0.2.1"));
  EXPECT_FALSE(server_acl_allows(acl, "192.0.2.1:8448"));
  EXPECT_FALSE(server_acl_allows(acl, "[2001:db8::1]:8448"));
  EXPECT_TRUE(server_acl_allows(acl, "spb.example.org"));
  auto by_default = test::parse_object(R"({"allow": ["*"]})");
  EXPECT_TRUE(server_acl_allows(by_default, "192.0.2.1"));
}

}  // namespace
}  // namespace domovoy
