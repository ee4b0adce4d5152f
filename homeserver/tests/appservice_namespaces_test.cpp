// Which appservice an id belongs to (appservice/namespaces.hpp, appservice/match_cache.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "homeserver/appservice/namespaces.hpp"

namespace domovoy::appservice {
namespace {

Namespace entry(const std::string& regex, bool exclusive) {
  return Namespace{regex, exclusive, std::regex(regex, std::regex::ECMAScript)};
}

Registration make(const std::string& id, const std::string& sender) {
  Registration registration;
  registration.file = "/etc/domovoy/" + id + ".yaml";
  registration.id = id;
  registration.url = "http://localhost:9000";
  registration.as_token = "as-" + id;
  registration.hs_token = "hs-" + id;
  registration.sender_localpart = sender;
  return registration;
}

// An IRC bridge that owns its users and aliases, and a logger that watches everyone.
std::vector<Registration> two_appservices() {
  auto irc = make("irc", "_irc_bot");
  irc.namespaces.users = {entry("@_irc_.*", true)};
  irc.namespaces.aliases = {entry("#_irc_.*", true), entry("#irc-lobby:example\\.org", false)};
  irc.namespaces.rooms = {entry("!irc[A-Za-z]+:example\\.org", false)};
  auto logger = make("logger", "logbot");
  logger.namespaces.users = {entry("@.*", false)};
  logger.namespaces.aliases = {entry("#.*", false)};
  return {irc, logger};
}

class AppserviceNamespaces : public ::testing::Test {
 protected:
  AppserviceRegistry registry{two_appservices(), "example.org"};
  const Registration& irc = *registry.all().at(0);
  const Registration& logger = *registry.all().at(1);
};

TEST_F(AppserviceNamespaces, KeepsTheOrderGiven) {
  ASSERT_EQ(registry.all().size(), 2u);
  EXPECT_EQ(irc.id, "irc");
  EXPECT_EQ(logger.id, "logger");
  EXPECT_FALSE(registry.empty());
  EXPECT_TRUE(AppserviceRegistry({}, "example.org").empty());
}

TEST_F(AppserviceNamespaces, FindsAnAppserviceByItsAsTokenOnly) {
  EXPECT_EQ(registry.find_by_as_token("as-irc"), &irc);
  EXPECT_EQ(registry.find_by_as_token("as-logger"), &logger);
  EXPECT_EQ(registry.find_by_as_token("as-ir"), nullptr);
  EXPECT_EQ(registry.find_by_as_token("as-irc "), nullptr);
  EXPECT_EQ(registry.find_by_as_token("hs-irc"), nullptr) << "the hs_token is the homeserver's, not a login";
  EXPECT_EQ(registry.find_by_as_token(""), nullptr);
}

TEST_F(AppserviceNamespaces, FindsAnAppserviceById) {
  EXPECT_EQ(registry.find_by_id("irc"), &irc);
  EXPECT_EQ(registry.find_by_id("IRC"), nullptr);
}

TEST_F(AppserviceNamespaces, SenderUserId) {
  EXPECT_EQ(registry.sender_user_id(irc), "@_irc_bot:example.org");
  EXPECT_EQ(registry.sender_user_id(logger), "@logbot:example.org");
}

TEST_F(AppserviceNamespaces, UsersNamespacesCoverLocalUsersAndTheSender) {
  EXPECT_TRUE(registry.user_in_namespace(irc, "@_irc_alice:example.org"));
  EXPECT_TRUE(registry.user_in_namespace(irc, "@_irc_bot:example.org")) << "the sender, matched by the regex too";
  EXPECT_FALSE(registry.user_in_namespace(irc, "@alice:example.org"));
  EXPECT_FALSE(registry.user_in_namespace(irc, "@_irc_alice:other.org")) << "remote users are in no namespace";
  EXPECT_FALSE(registry.user_in_namespace(irc, "@_irc_alice:example.org.evil"));
  EXPECT_TRUE(registry.user_in_namespace(logger, "@alice:example.org"));
  EXPECT_TRUE(registry.user_in_namespace(logger, "@logbot:example.org"));
  EXPECT_FALSE(registry.user_in_namespace(logger, "@alice:other.org"));
  EXPECT_TRUE(registry.is_interested_user(irc, "@_irc_alice:example.org"));
}

TEST_F(AppserviceNamespaces, TheSenderCountsEvenWithoutAUsersNamespace) {
  auto bare = make("bare", "barebot");
  AppserviceRegistry only({bare}, "example.org");
  const auto& registration = *only.all().at(0);
  EXPECT_TRUE(only.user_in_namespace(registration, "@barebot:example.org"));
  EXPECT_FALSE(only.user_in_namespace(registration, "@barebot2:example.org"));
  EXPECT_EQ(only.exclusive_owner_of_user("@barebot:example.org"), &registration);
}

TEST_F(AppserviceNamespaces, AliasAndRoomNamespaces) {
  EXPECT_TRUE(registry.is_interested_alias(irc, "#_irc_#matrix:example.org"));
  EXPECT_TRUE(registry.is_interested_alias(irc, "#irc-lobby:example.org"));
  // Anchored at the start only, as in Synapse: a regex without "$" also covers longer ids.
  EXPECT_TRUE(registry.is_interested_alias(irc, "#irc-lobby:example.org2"));
  EXPECT_FALSE(registry.is_interested_alias(irc, "#lobby:example.org"));
  EXPECT_TRUE(registry.is_interested_alias(irc, "#_irc_x:other.org")) << "aliases are not limited to this server";
  EXPECT_TRUE(registry.is_interested_room(irc, "!ircAbc:example.org"));
  EXPECT_FALSE(registry.is_interested_room(irc, "!irc123:example.org"));
  EXPECT_FALSE(registry.is_interested_room(logger, "!ircAbc:example.org")) << "no rooms namespace";
  EXPECT_TRUE(registry.is_interested_alias(logger, "#anything:anywhere"));
}

TEST_F(AppserviceNamespaces, ExclusiveOwnerOfAUser) {
  EXPECT_EQ(registry.exclusive_owner_of_user("@_irc_alice:example.org"), &irc);
  EXPECT_EQ(registry.exclusive_owner_of_user("@_irc_alice:example.org", &irc), nullptr)
      << "the owner itself may create it";
  EXPECT_EQ(registry.exclusive_owner_of_user("@_irc_alice:example.org", &logger), &irc)
      << "another appservice may not, even one interested in it";
  EXPECT_EQ(registry.exclusive_owner_of_user("@alice:example.org"), nullptr) << "the logger's claim is not exclusive";
  EXPECT_EQ(registry.exclusive_owner_of_user("@logbot:example.org"), &logger) << "a sender is its appservice's";
  EXPECT_EQ(registry.exclusive_owner_of_user("@_irc_alice:other.org"), nullptr);
}

TEST_F(AppserviceNamespaces, ExclusiveOwnerOfAnAlias) {
  EXPECT_EQ(registry.exclusive_owner_of_alias("#_irc_#matrix:example.org"), &irc);
  EXPECT_EQ(registry.exclusive_owner_of_alias("#_irc_#matrix:example.org", &irc), nullptr);
  EXPECT_EQ(registry.exclusive_owner_of_alias("#irc-lobby:example.org"), nullptr) << "a non-exclusive entry";
  EXPECT_EQ(registry.exclusive_owner_of_alias("#lobby:example.org"), nullptr);
}

TEST_F(AppserviceNamespaces, TheFirstOfTwoExclusiveClaimsIsNamed) {
  auto first = make("first", "firstbot");
  first.namespaces.users = {entry("@bridge_.*", true)};
  auto second = make("second", "secondbot");
  second.namespaces.users = {entry("@bridge_[a-z]+:example\\.org", true)};
  AppserviceRegistry both({first, second}, "example.org");
  const auto* a = both.all().at(0);
  const auto* b = both.all().at(1);
  EXPECT_EQ(both.exclusive_owner_of_user("@bridge_x:example.org"), a);
  EXPECT_EQ(both.exclusive_owner_of_user("@bridge_x:example.org", a), b) << "the other claim still stands";
  EXPECT_EQ(both.exclusive_owner_of_user("@bridge_x:example.org", b), a);
}

TEST_F(AppserviceNamespaces, RefusesRegistrationsThatClashOrCannotHaveASender) {
  auto twin = two_appservices();
  twin[1].as_token = twin[0].as_token;
  EXPECT_THROW(AppserviceRegistry(twin, "example.org"), RegistrationError);
  auto long_sender = make("long", std::string(250, 'a'));
  try {
    AppserviceRegistry({long_sender}, "example.org");
    ADD_FAILURE() << "no error";
  } catch (const RegistrationError& error) {
    EXPECT_EQ(std::string(error.what())
                  .rfind("appservice registration /etc/domovoy/long.yaml: key 'sender_localpart': '@aaa", 0),
              0u)
        << error.what();
  }
}

TEST_F(AppserviceNamespaces, ARegistrationFromElsewhereIsACallersBug) {
  Registration copy = irc;
  EXPECT_THROW(registry.user_in_namespace(copy, "@_irc_alice:example.org"), std::invalid_argument);
}

TEST_F(AppserviceNamespaces, AnswersAreCachedAndStayCorrect) {
  EXPECT_EQ(registry.cached_answers(irc), 0u);
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(registry.user_in_namespace(irc, "@_irc_alice:example.org"));
    EXPECT_FALSE(registry.user_in_namespace(irc, "@bob:example.org"));
    EXPECT_TRUE(registry.is_interested_room(irc, "!ircAbc:example.org"));
  }
  EXPECT_EQ(registry.cached_answers(irc), 3u) << "two users and a room, each remembered once";
  registry.user_in_namespace(irc, "@_irc_bot:example.org");
  registry.user_in_namespace(irc, "@_irc_alice:other.org");
  EXPECT_EQ(registry.cached_answers(irc), 3u) << "the sender and remote users are answered without a regex";
}

TEST_F(AppserviceNamespaces, TheCacheIsBounded) {
  AppserviceRegistry small(two_appservices(), "example.org", /*cache_entries=*/5);
  const auto& bridge = *small.all().at(0);
  for (int i = 0; i < 100; ++i) {
    auto user = (i % 2 ? "@_irc_" : "@human") + std::to_string(i) + ":example.org";
    EXPECT_EQ(small.user_in_namespace(bridge, user), i % 2 == 1) << user;
    EXPECT_LE(small.cached_answers(bridge), 5u);
  }
  AppserviceRegistry none(two_appservices(), "example.org", /*cache_entries=*/0);
  EXPECT_TRUE(none.user_in_namespace(*none.all().at(0), "@_irc_x:example.org"));
  EXPECT_EQ(none.cached_answers(*none.all().at(0)), 0u);
}

TEST_F(AppserviceNamespaces, ManyThreadsAskAtOnce) {
  AppserviceRegistry shared(two_appservices(), "example.org", /*cache_entries=*/64);
  const auto& bridge = *shared.all().at(0);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        int n = (i * 7 + t) % 300;  // more ids than the cache holds, so it is emptied under load
        bool ours = n % 3 == 0;
        auto user = (ours ? "@_irc_" : "@person") + std::to_string(n) + ":example.org";
        if (shared.user_in_namespace(bridge, user) != ours) ++wrong;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(AppserviceMatchCache, EmptiesItselfWhenFull) {
  MatchCache cache(2);
  EXPECT_EQ(cache.find("a"), std::nullopt);
  cache.insert("a", true);
  cache.insert("b", false);
  EXPECT_EQ(cache.find("a"), true);
  EXPECT_EQ(cache.find("b"), false);
  EXPECT_EQ(cache.size(), 2u);
  cache.insert("c", true);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("a"), std::nullopt);
  EXPECT_EQ(cache.find("c"), true);
}

}  // namespace
}  // namespace domovoy::appservice
