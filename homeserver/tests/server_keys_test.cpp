// Other servers' key responses (federation/server_keys): trusted only when well-formed, named for
// the server asked and signed by it with one of the keys they publish; cached no longer than 7
// days; an old key verifies only what was signed before it expired.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "federation/server_keys.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy::federation {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'800'000'000'000;
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

class ServerKeysTest : public ::testing::Test {
 protected:
  SigningKey key = SigningKey::generate("ed25519:a_1");
  SigningKey old_key = SigningKey::generate("ed25519:old");

  json::object response(std::int64_t valid_until = kNow + kDay) const {
    return json::object{
        {"server_name", "msk.localhost"},
        {"valid_until_ts", valid_until},
        {"verify_keys", json::object{{key.key_id(), json::object{{"key", key.public_key_base64()}}}}},
        {"old_verify_keys",
         json::object{{old_key.key_id(), json::object{{"key", old_key.public_key_base64()}, {"expired_ts", kNow - kDay}}}}}};
  }
  json::object signed_response(json::object unsigned_response) const {
    sign_json(unsigned_response, "msk.localhost", key);
    return unsigned_response;
  }
};

TEST_F(ServerKeysTest, AGoodResponseIsTakenWithItsValidityCapped) {
  auto keys = check_server_keys(signed_response(response()), "msk.localhost", kNow);
  EXPECT_EQ(keys.server_name, "msk.localhost");
  EXPECT_EQ(keys.valid_until_ts, kNow + kDay);
  ASSERT_EQ(keys.verify_keys.size(), 1u);
  EXPECT_EQ(keys.verify_keys.at("ed25519:a_1"), key.public_key_base64());
  ASSERT_EQ(keys.old_verify_keys.size(), 1u);
  EXPECT_EQ(keys.old_verify_keys.at("ed25519:old").expired_ts, kNow - kDay);
  // A year's validity is cached for 7 days at most.
  auto long_lived = check_server_keys(signed_response(response(kNow + 365 * kDay)), "msk.localhost", kNow);
  EXPECT_EQ(long_lived.valid_until_ts, kNow + kMaxKeyValidityMs);
}

// What a notary passes on is the response as its server signed it: a notary's signature on what
// came through another notary is not kept, and the server's own still verifies after a notary
// adds its own.
TEST_F(ServerKeysTest, TheSignedResponseKeepsOnlyTheServersOwnSignature) {
  auto through_notary = signed_response(response());
  auto notary = SigningKey::generate("ed25519:n");
  sign_json(through_notary, "spb.localhost", notary);
  auto keys = check_server_keys(through_notary, "msk.localhost", kNow);
  const auto& signatures = keys.signed_response.at("signatures").as_object();
  EXPECT_EQ(signatures.size(), 1u);
  EXPECT_TRUE(signatures.contains("msk.localhost"));
  EXPECT_EQ(keys.signed_response.at("valid_until_ts").as_int64(), kNow + kDay);
  auto passed_on = keys.signed_response;
  auto this_notary = SigningKey::generate("ed25519:m");
  sign_json(passed_on, "omsk.localhost", this_notary);
  EXPECT_NO_THROW(check_server_keys(passed_on, "msk.localhost", kNow));
  EXPECT_TRUE(verify_json_signature(passed_on, "omsk.localhost", "ed25519:m", this_notary.public_key_base64()));
}

TEST_F(ServerKeysTest, ForgedOrMisnamedResponsesAreRefused) {
  EXPECT_THROW(check_server_keys(signed_response(response()), "spb.localhost", kNow), KeyResponseError)
      << "keys of another server";
  EXPECT_THROW(check_server_keys(response(), "msk.localhost", kNow), KeyResponseError) << "unsigned";
  auto tampered = signed_response(response());
  tampered["valid_until_ts"] = kNow + 300 * kDay;
  EXPECT_THROW(check_server_keys(tampered, "msk.localhost", kNow), KeyResponseError) << "changed after signing";
  // Signed by a key it does not publish (a man in the middle with his own key under the same id).
  auto impostor = SigningKey::generate("ed25519:a_1");
  auto by_impostor = response();
  sign_json(by_impostor, "msk.localhost", impostor);
  EXPECT_THROW(check_server_keys(by_impostor, "msk.localhost", kNow), KeyResponseError);
  // Signed only by the old key: old keys sign events, not key responses.
  auto by_old = response();
  sign_json(by_old, "msk.localhost", old_key);
  EXPECT_THROW(check_server_keys(by_old, "msk.localhost", kNow), KeyResponseError);
  // One good and one bad signature by published keys: refused.
  auto second = SigningKey::generate("ed25519:b");
  auto two = response();
  two["verify_keys"].as_object()[second.key_id()] = json::object{{"key", second.public_key_base64()}};
  sign_json(two, "msk.localhost", key);
  two["signatures"].as_object()["msk.localhost"].as_object()[second.key_id()] = key.sign_base64("something else");
  EXPECT_THROW(check_server_keys(two, "msk.localhost", kNow), KeyResponseError);
}

TEST_F(ServerKeysTest, MalformedFieldsAreRefusedAndUnknownAlgorithmsSkipped) {
  for (auto* field : {"server_name", "valid_until_ts", "verify_keys"}) {
    auto missing = response();
    missing.erase(field);
    EXPECT_THROW(check_server_keys(signed_response(missing), "msk.localhost", kNow), KeyResponseError) << field;
  }
  auto short_key = response();
  short_key["verify_keys"].as_object()["ed25519:x"] = json::object{{"key", "AAAA"}};
  EXPECT_THROW(check_server_keys(signed_response(short_key), "msk.localhost", kNow), KeyResponseError);
  auto no_expiry = response();
  no_expiry["old_verify_keys"].as_object()[old_key.key_id()].as_object().erase("expired_ts");
  EXPECT_THROW(check_server_keys(signed_response(no_expiry), "msk.localhost", kNow), KeyResponseError);
  auto text_validity = response();
  text_validity["valid_until_ts"] = "tomorrow";
  EXPECT_THROW(check_server_keys(signed_response(text_validity), "msk.localhost", kNow), KeyResponseError);
  EXPECT_THROW(check_server_keys(json::value("keys"), "msk.localhost", kNow), KeyResponseError);

  auto other_algorithms = response();
  other_algorithms["verify_keys"].as_object()["curve25519:x"] = json::object{{"key", "whatever"}};
  other_algorithms["verify_keys"].as_object()["ed25519:bad-version"] = json::object{{"key", key.public_key_base64()}};
  auto keys = check_server_keys(signed_response(other_algorithms), "msk.localhost", kNow);
  EXPECT_EQ(keys.verify_keys.size(), 1u) << "only ed25519 keys with a [a-zA-Z0-9_] version";
}

TEST_F(ServerKeysTest, WhenAKeyMayVerify) {
  auto keys = check_server_keys(signed_response(response()), "msk.localhost", kNow);
  EXPECT_EQ(usable_key(keys, "ed25519:a_1", kNow), key.public_key_base64());
  EXPECT_EQ(usable_key(keys, "ed25519:a_1", kNow + kDay), key.public_key_base64()) << "up to valid_until_ts";
  EXPECT_FALSE(usable_key(keys, "ed25519:a_1", kNow + kDay + 1)) << "past valid_until_ts";
  EXPECT_TRUE(usable_key(keys, "ed25519:a_1", kNow + 30 * kDay, false)) << "room versions 1-4 ignore validity";
  EXPECT_EQ(usable_key(keys, "ed25519:old", kNow - 2 * kDay), old_key.public_key_base64()) << "before it expired";
  EXPECT_FALSE(usable_key(keys, "ed25519:old", kNow - kDay)) << "from its expiry on";
  EXPECT_FALSE(usable_key(keys, "ed25519:unknown", kNow));
}

}  // namespace
}  // namespace domovoy::federation
