// The signed federation list (federation/federation_list): trusted only when signed by a key of
// the config, used only while younger than its maximum age and not expired, never replaced by
// an older version, kept across a restart; and the policy that asks it.
#include "federation/federation_list.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <fstream>

#include "federation/federation_policy.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/events/signing_key.hpp"
#include "homeserver/tests/test_support.hpp"

namespace domovoy::federation {
namespace {

namespace json = boost::json;

constexpr std::int64_t kHour = 3600LL * 1000;

class FederationListTest : public ::testing::Test {
 protected:
  SigningKey operator_key = SigningKey::generate("ed25519:op1");
  std::map<std::string, std::string> keys{{"ed25519:op1", operator_key.public_key_base64()}};

  json::object unsigned_list(std::int64_t version, std::int64_t issued, json::array servers) const {
    return json::object{{"version", version},
                        {"issued_ts", issued},
                        {"expires_ts", issued + 168 * kHour},
                        {"servers", std::move(servers)}};
  }
  std::string signed_list(json::object list, const SigningKey* key = nullptr) const {
    sign_json(list, "federation", key ? *key : operator_key);
    return json::serialize(list);
  }
  std::string list_of(std::int64_t version, json::array servers, std::int64_t issued = now_ms()) const {
    return signed_list(unsigned_list(version, issued, std::move(servers)));
  }
};

TEST_F(FederationListTest, ASignedListIsTaken) {
  auto list = check_federation_list(list_of(3, {"MSK.example.org", "*.region.example"}, 1000), keys);
  EXPECT_EQ(list.version, 3);
  EXPECT_EQ(list.issued_ts, 1000);
  EXPECT_EQ(list.expires_ts, 1000 + 168 * kHour);
  EXPECT_EQ(list.servers, (std::vector<std::string>{"msk.example.org", "*.region.example"}));
}

TEST_F(FederationListTest, UnsignedForgedOrMalformedListsAreRefused) {
  auto good = unsigned_list(1, 1000, {"msk.example.org"});
  EXPECT_THROW(check_federation_list(json::serialize(good), keys), FederationListError) << "unsigned";
  auto stranger = SigningKey::generate("ed25519:op1");
  EXPECT_THROW(check_federation_list(signed_list(good, &stranger), keys), FederationListError)
      << "signed by a key of the same id that is not the operator's";
  auto tampered = json::parse(signed_list(good)).as_object();
  tampered["servers"].as_array().push_back("evil.example.org");
  EXPECT_THROW(check_federation_list(json::serialize(tampered), keys), FederationListError) << "changed after signing";
  auto other_key = SigningKey::generate("ed25519:other");
  EXPECT_THROW(check_federation_list(signed_list(good, &other_key), keys), FederationListError)
      << "a key the config does not name";

  auto refused = [&](json::object list, const char* what) {
    EXPECT_THROW(check_federation_list(signed_list(std::move(list)), keys), FederationListError) << what;
  };
  auto list = good;
  list.erase("version");
  refused(list, "no version");
  list = good;
  list["version"] = 0;
  refused(list, "version 0");
  list = good;
  list["issued_ts"] = "yesterday";
  refused(list, "a string for a time");
  list = good;
  list["expires_ts"] = 999;
  refused(list, "expiring before it was issued");
  list = good;
  list["servers"] = json::array{"not a server"};
  refused(list, "a bad server name");
  list = good;
  list["servers"] = json::array{42};
  refused(list, "a number for a server");
  list = good;
  list["servers"] = "msk.example.org";
  refused(list, "servers not a list");
  EXPECT_THROW(check_federation_list("{not json", keys), FederationListError);
  EXPECT_THROW(check_federation_list("[]", keys), FederationListError);
}

TEST_F(FederationListTest, UsedOnlyWhileYoungerThanItsMaximumAgeAndNotExpired) {
  auto list = check_federation_list(list_of(1, {"msk.example.org"}, 1000), keys);
  EXPECT_TRUE(federation_list_current(list, 1000, 72 * kHour));
  EXPECT_TRUE(federation_list_current(list, 1000 + 72 * kHour, 72 * kHour));
  EXPECT_FALSE(federation_list_current(list, 1000 + 72 * kHour + 1, 72 * kHour)) << "older than 72 h";
  EXPECT_FALSE(federation_list_current(list, list.expires_ts, 1000 * kHour)) << "expired";
}

TEST_F(FederationListTest, AnOlderVersionNeverReplacesTheHeldOneAndTheListSurvivesARestart) {
  test::TempDir dir;
  boost::asio::io_context io;
  auto source = dir.str("list.json");
  std::ofstream(source) << list_of(5, {"msk.example.org"});
  Config::Federation config;
  config.signed_list.source = source;
  config.signed_list.keys = keys;
  {
    FederationList list(config, dir.str(), io.get_executor());
    list.start();
    EXPECT_TRUE(list.allows("msk.example.org:8448"));
    EXPECT_FALSE(list.allows("kzn.example.org"));
    EXPECT_FALSE(list.offer(list_of(4, {"kzn.example.org"}), "a replay")) << "an older version";
    EXPECT_FALSE(list.allows("kzn.example.org"));
    EXPECT_FALSE(list.offer(signed_list(unsigned_list(9, now_ms(), {"kzn.example.org"}),
                                        &operator_key).substr(1), "garbage"));
    EXPECT_TRUE(list.offer(list_of(6, {"kzn.example.org"}), "the operator"));
    EXPECT_TRUE(list.allows("kzn.example.org"));
    EXPECT_FALSE(list.allows("msk.example.org"));
  }
  // After a restart with the source out of reach, the kept copy (version 6) is used.
  config.signed_list.source = "https://lists.invalid/federation.json";
  FederationList restarted(config, dir.str(), io.get_executor());
  restarted.start();
  ASSERT_TRUE(restarted.current());
  EXPECT_EQ(restarted.current()->version, 6);
  EXPECT_TRUE(restarted.allows("kzn.example.org"));
}

TEST_F(FederationListTest, APathSourceThatCannotBeTrustedStopsTheStart) {
  test::TempDir dir;
  boost::asio::io_context io;
  auto source = dir.str("list.json");
  auto stranger = SigningKey::generate("ed25519:op1");
  std::ofstream(source) << signed_list(unsigned_list(1, now_ms(), {"msk.example.org"}), &stranger);
  Config::Federation config;
  config.signed_list.source = source;
  config.signed_list.keys = keys;
  FederationList list(config, dir.str(), io.get_executor());
  try {
    list.start();
    FAIL() << "started with a list signed by another key";
  } catch (const FederationListError& error) {
    EXPECT_NE(std::string(error.what()).find(source), std::string::npos) << error.what();
  }
  EXPECT_FALSE(list.allows("msk.example.org"));
}

TEST_F(FederationListTest, ThePolicyAsksTheListAndFailsClosedWithAStaleOne) {
  test::TempDir dir;
  boost::asio::io_context io;
  auto source = dir.str("list.json");
  std::ofstream(source) << list_of(1, {"msk.example.org", "spb.example.org"});
  Config::Federation config;
  config.signed_list.source = source;
  config.signed_list.keys = keys;
  FederationList list(config, dir.str(), io.get_executor());
  list.start();
  // No allow list: the signed list alone decides.
  FederationPolicy by_list(config, &list);
  EXPECT_TRUE(by_list.allows("msk.example.org"));
  EXPECT_FALSE(by_list.allows("kzn.example.org"));
  // An allow list too: a server must be on both.
  config.allow = {"msk.example.org", "kzn.example.org"};
  FederationPolicy both(config, &list);
  EXPECT_TRUE(both.allows("msk.example.org"));
  EXPECT_FALSE(both.allows("spb.example.org"));
  EXPECT_FALSE(both.allows("kzn.example.org"));
  // Open federation still needs the list.
  config.open = true;
  FederationPolicy open(config, &list);
  EXPECT_FALSE(open.allows("kzn.example.org"));
  // A list issued 73 hours ago is not taken, and the held one, once 73 hours old, is not used
  // whatever it names: nobody federates until a fresh one comes.
  EXPECT_FALSE(list.offer(list_of(2, {"kzn.example.org"}, now_ms() - 73 * kHour), "an old one"));
  if (!test_clock::enabled()) test_clock::enable();
  auto real_now = now_ms();
  ASSERT_TRUE(test_clock::set(real_now + 73 * kHour));
  EXPECT_FALSE(by_list.allows("msk.example.org"));
  EXPECT_TRUE(list.offer(list_of(3, {"msk.example.org"}), "a fresh one"));
  EXPECT_TRUE(by_list.allows("msk.example.org"));
  // Back to the real time for the tests that run after this one in the same process.
  test_clock::set(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace
}  // namespace domovoy::federation
