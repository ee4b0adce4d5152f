// Request routing (http/router.hpp): literal segments, {placeholders} that match one
// percent-decoded segment, wrong method versus unknown path, and percent_decode itself.
#include <gtest/gtest.h>

#include "homeserver/http/router.hpp"

namespace domovoy::http {
namespace {

using boost::beast::http::verb;

Response named(std::string name) {
  Response response;
  response.body = boost::json::object{{"route", name}};
  return response;
}

std::string route_name(const Router::Match& match, Request& request) {
  if (match.kind != Router::MatchKind::found || !match.route || !match.route->blocking) return "(none)";
  return std::string(match.route->blocking(request).body.at("route").as_string());
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router.add(verb::get, "/_matrix/client/versions", Auth::none, [](Request&) { return named("versions"); });
    router.add_client(verb::put, "/rooms/{roomId}/send/{eventType}/{txnId}", Auth::required,
                      [](Request&) { return named("send"); });
    router.add_client(verb::get, "/rooms/{roomId}/state", Auth::required, [](Request&) { return named("state"); });
    router.add_client(verb::post, "/login", Auth::none, [](Request&) { return named("login"); }, "login");
    router.add_client(verb::get, "/login", Auth::none, [](Request&) { return named("login flows"); });
    router.add_client(verb::get, "/profile/{userId}/displayname", Auth::optional, [](Request&) { return named("name"); });
  }
  Router router;
  Request request;
};

TEST_F(RouterTest, MatchesLiteralPath) {
  auto match = router.match(verb::get, "/_matrix/client/versions");
  ASSERT_EQ(match.kind, Router::MatchKind::found);
  EXPECT_EQ(route_name(match, request), "versions");
  EXPECT_TRUE(match.params.empty());
  EXPECT_EQ(match.route->auth, Auth::none);
}

TEST_F(RouterTest, ClientRoutesAnswerUnderV3AndR0) {
  for (const char* prefix : {"/_matrix/client/v3", "/_matrix/client/r0"}) {
    auto match = router.match(verb::get, std::string(prefix) + "/rooms/!r:x/state");
    ASSERT_EQ(match.kind, Router::MatchKind::found) << prefix;
    EXPECT_EQ(route_name(match, request), "state");
  }
  EXPECT_EQ(router.match(verb::get, "/_matrix/client/v1/rooms/!r:x/state").kind, Router::MatchKind::not_found);
}

TEST_F(RouterTest, PlaceholdersArePercentDecodedInOrder) {
  auto match = router.match(verb::put, "/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/txn%201");
  ASSERT_EQ(match.kind, Router::MatchKind::found);
  EXPECT_EQ(route_name(match, request), "send");
  EXPECT_EQ(match.params, (std::vector<std::string>{"!abc:example.org", "m.room.message", "txn 1"}));
  EXPECT_EQ(match.route->auth, Auth::required);
}

TEST_F(RouterTest, EncodedSlashStaysInsideItsSegment) {
  auto match = router.match(verb::get, "/_matrix/client/v3/profile/%40a%2Fb%3Ax/displayname");
  ASSERT_EQ(match.kind, Router::MatchKind::found);
  EXPECT_EQ(match.params, std::vector<std::string>{"@a/b:x"});
  EXPECT_EQ(router.match(verb::get, "/_matrix/client/v3/profile/@a/b:x/displayname").kind,
            Router::MatchKind::not_found);
}

TEST_F(RouterTest, EmptyPlaceholderDoesNotMatch) {
  EXPECT_EQ(router.match(verb::get, "/_matrix/client/v3/rooms//state").kind, Router::MatchKind::not_found);
}

TEST_F(RouterTest, WrongMethodIsDistinguishedFromUnknownPath) {
  EXPECT_EQ(router.match(verb::post, "/_matrix/client/versions").kind, Router::MatchKind::wrong_method);
  EXPECT_EQ(router.match(verb::delete_, "/_matrix/client/v3/rooms/!r:x/send/t/1").kind, Router::MatchKind::wrong_method);
  EXPECT_EQ(router.match(verb::get, "/_matrix/client/nothing").kind, Router::MatchKind::not_found);
  EXPECT_EQ(router.match(verb::get, "/_matrix/client/versions/").kind, Router::MatchKind::not_found);
  EXPECT_EQ(router.match(verb::get, "_matrix/client/versions").kind, Router::MatchKind::found)
      << "the leading slash is optional";
  EXPECT_EQ(router.match(verb::get, "").kind, Router::MatchKind::not_found);
  EXPECT_EQ(router.match(verb::get, "/").kind, Router::MatchKind::not_found);
}

TEST_F(RouterTest, SamePathDifferentMethodsPickTheirOwnRoute) {
  auto post = router.match(verb::post, "/_matrix/client/v3/login");
  auto get = router.match(verb::get, "/_matrix/client/v3/login");
  ASSERT_EQ(post.kind, Router::MatchKind::found);
  ASSERT_EQ(get.kind, Router::MatchKind::found);
  EXPECT_EQ(route_name(post, request), "login");
  EXPECT_EQ(route_name(get, request), "login flows");
  EXPECT_EQ(post.route->rate_limit_class, "login");
  EXPECT_EQ(get.route->rate_limit_class, "");
}

TEST_F(RouterTest, LiteralSegmentsAreCaseSensitive) {
  EXPECT_EQ(router.match(verb::get, "/_matrix/client/VERSIONS").kind, Router::MatchKind::not_found);
}

TEST(RouterAsync, AsyncRoutesHaveNoBlockingHandler) {
  Router router;
  router.add_async(verb::get, "/_matrix/client/v3/sync", Auth::required,
                   [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; });
  auto match = router.match(verb::get, "/_matrix/client/v3/sync");
  ASSERT_EQ(match.kind, Router::MatchKind::found);
  EXPECT_TRUE(static_cast<bool>(match.route->async));
  EXPECT_FALSE(static_cast<bool>(match.route->blocking));
}

TEST(PercentDecode, DecodesBothCases) {
  EXPECT_EQ(percent_decode("%21room%3aexample.org"), "!room:example.org");
  EXPECT_EQ(percent_decode("%2F%2f"), "//");
  EXPECT_EQ(percent_decode("%41"), "A");
  EXPECT_EQ(percent_decode("a%41"), "aA");
  EXPECT_EQ(percent_decode("%E6%97%A5"), "\xe6\x97\xa5");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
}

TEST(PercentDecode, LeavesInvalidEscapesAlone) {
  EXPECT_EQ(percent_decode("%"), "%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("a%"), "a%");
  EXPECT_EQ(percent_decode("%zz"), "%zz");
  EXPECT_EQ(percent_decode("%4g%41"), "%4gA");
  EXPECT_EQ(percent_decode("100%%41"), "100%A");
}

TEST(PercentDecode, DoesNotTurnPlusIntoSpace) {
  // In a path '+' is itself (only form-encoded query strings use '+' for space).
  EXPECT_EQ(percent_decode("a+b"), "a+b");
}

TEST(PercentDecode, DecodesOnlyOnce) {
  EXPECT_EQ(percent_decode("%2541"), "%41");
}

}  // namespace
}  // namespace domovoy::http
