// User-Interactive Authentication sessions (client/user_interactive_auth.hpp): flows, binding to
// the operation, expiry and the bound on how many sessions exist. Time comes from a hand-moved
// clock, so nothing here sleeps.
#include <gtest/gtest.h>

#include "homeserver/client/user_interactive_auth.hpp"
#include "homeserver/core/api_error.hpp"

namespace domovoy {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct ManualClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  UserInteractiveAuth::Clock source() {
    return [this] { return now; };
  }
};

// Completes any stage whose auth dict carries "ok": true.
bool check_ok(const std::string&, const json::object& auth) {
  auto* ok = auth.if_contains("ok");
  return ok && ok->is_bool() && ok->as_bool();
}

class UserInteractiveAuthTest : public ::testing::Test {
 protected:
  UserInteractiveAuth make(UserInteractiveAuth::Options options = {}) {
    return UserInteractiveAuth(options, clock.source());
  }

  // Runs require(); returns the 401's session id, or "" when the flow completed.
  static std::string attempt(UserInteractiveAuth& uia, const json::object& body,
                             const std::vector<UserInteractiveAuth::Flow>& flows, const std::string& key) {
    try {
      uia.require(body, flows, key, check_ok);
      return "";
    } catch (const ApiError& error) {
      EXPECT_EQ(error.status(), 401u) << error.what();
      return std::string(error.extra().at("session").as_string());
    }
  }

  static json::object stage(const std::string& type, const std::string& session, bool ok = true) {
    json::object auth{{"type", type}, {"ok", ok}};
    if (!session.empty()) auth["session"] = session;
    return {{"auth", std::move(auth)}};
  }

  ManualClock clock;
};

TEST_F(UserInteractiveAuthTest, FirstCallAnswers401WithFlowsAndASession) {
  auto uia = make();
  try {
    uia.require({}, {{"m.login.dummy"}}, "register", check_ok);
    FAIL() << "a request without auth must not pass";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 401u);
    EXPECT_FALSE(error.extra().at("session").as_string().empty());
    EXPECT_EQ(error.extra().at("flows").as_array().size(), 1u);
    EXPECT_TRUE(error.extra().at("completed").as_array().empty());
  }
  EXPECT_EQ(uia.size(), 1u);
}

TEST_F(UserInteractiveAuthTest, ASingleStageFlowCompletesAndConsumesTheSession) {
  auto uia = make();
  auto session = attempt(uia, {}, {{"m.login.dummy"}}, "register");
  EXPECT_EQ(attempt(uia, stage("m.login.dummy", session), {{"m.login.dummy"}}, "register"), "");
  EXPECT_EQ(uia.size(), 0u);
  EXPECT_THROW(uia.require(stage("m.login.dummy", session), {{"m.login.dummy"}}, "register", check_ok), ApiError)
      << "a consumed session cannot be replayed";
}

TEST_F(UserInteractiveAuthTest, ATwoStageFlowNeedsBothStages) {
  auto uia = make();
  std::vector<UserInteractiveAuth::Flow> flows{{"m.login.registration_token", "m.login.dummy"}};
  auto session = attempt(uia, {}, flows, "register");
  EXPECT_EQ(attempt(uia, stage("m.login.registration_token", session), flows, "register"), session);
  EXPECT_EQ(attempt(uia, stage("m.login.dummy", session), flows, "register"), "");
}

TEST_F(UserInteractiveAuthTest, AFailedStageIsNotCompleted) {
  auto uia = make();
  auto session = attempt(uia, {}, {{"m.login.password"}}, "password:@a:x");
  EXPECT_EQ(attempt(uia, stage("m.login.password", session, false), {{"m.login.password"}}, "password:@a:x"),
            session);
  EXPECT_EQ(attempt(uia, stage("m.login.password", session), {{"m.login.password"}}, "password:@a:x"), "");
}

TEST_F(UserInteractiveAuthTest, ASessionIsBoundToItsOperation) {
  auto uia = make();
  auto session = attempt(uia, {}, {{"m.login.password"}}, "password:@a:x");
  try {
    uia.require(stage("m.login.password", session), {{"m.login.password"}}, "deactivate:@a:x", check_ok);
    FAIL() << "a session started for one operation must not authorise another";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 400u);
  }
  EXPECT_EQ(attempt(uia, stage("m.login.password", session), {{"m.login.password"}}, "password:@a:x"), "")
      << "the refused attempt left the session usable for its own operation";
}

TEST_F(UserInteractiveAuthTest, UnknownSessionIsRefused) {
  auto uia = make();
  EXPECT_THROW(uia.require(stage("m.login.dummy", "nosuchsession"), {{"m.login.dummy"}}, "register", check_ok),
               ApiError);
}

TEST_F(UserInteractiveAuthTest, SessionsExpireAfterTheirLifetime) {
  auto uia = make({.max_sessions = 100, .lifetime = 30min});
  std::vector<UserInteractiveAuth::Flow> flows{{"m.login.registration_token", "m.login.dummy"}};
  auto session = attempt(uia, {}, flows, "register");
  attempt(uia, stage("m.login.registration_token", session), flows, "register");
  clock.now += 29min;
  EXPECT_EQ(attempt(uia, stage("m.login.registration_token", session), flows, "register"), session)
      << "still alive before 30 minutes";
  clock.now += 1min;
  EXPECT_THROW(uia.require(stage("m.login.dummy", session), flows, "register", check_ok), ApiError);
  EXPECT_EQ(uia.size(), 0u) << "the expired session is gone, not just refused";
}

TEST_F(UserInteractiveAuthTest, ExpiredSessionsAreDroppedByAnyLaterCall) {
  auto uia = make({.max_sessions = 100, .lifetime = 30min});
  for (int i = 0; i < 10; ++i) attempt(uia, {}, {{"m.login.dummy"}}, "register");
  EXPECT_EQ(uia.size(), 10u);
  clock.now += 31min;
  attempt(uia, {}, {{"m.login.dummy"}}, "register");
  EXPECT_EQ(uia.size(), 1u);
}

TEST_F(UserInteractiveAuthTest, NeverHoldsMoreThanTheBoundAndDropsTheOldestFirst) {
  auto uia = make({.max_sessions = 3, .lifetime = 30min});
  std::vector<std::string> sessions;
  for (int i = 0; i < 5; ++i) {
    sessions.push_back(attempt(uia, {}, {{"m.login.dummy"}}, "register"));
    clock.now += 1s;
  }
  EXPECT_EQ(uia.size(), 3u);
  EXPECT_THROW(uia.require(stage("m.login.dummy", sessions[0]), {{"m.login.dummy"}}, "register", check_ok), ApiError)
      << "the oldest session was dropped";
  EXPECT_THROW(uia.require(stage("m.login.dummy", sessions[1]), {{"m.login.dummy"}}, "register", check_ok), ApiError);
  EXPECT_EQ(attempt(uia, stage("m.login.dummy", sessions[4]), {{"m.login.dummy"}}, "register"), "")
      << "the newest session still works";
}

}  // namespace
}  // namespace domovoy
