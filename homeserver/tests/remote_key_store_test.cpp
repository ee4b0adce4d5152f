// Other servers' keys as kept between fetches: a key that is no longer listed stays known as an
// old key, so what it signed while it was current still verifies; everything survives a reopen.
#include "federation/remote_key_store.hpp"

#include <gtest/gtest.h>

#include "homeserver/tests/test_support.hpp"

namespace domovoy::federation {
namespace {

constexpr std::int64_t kDay = 24LL * 3600 * 1000;
const std::string kKeyA = "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw";
const std::string kKeyB = "VGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgMzJieXQ";

ServerKeys keys_with(std::map<std::string, std::string> current, std::int64_t valid_until) {
  ServerKeys keys;
  keys.server_name = "msk.example.org";
  keys.valid_until_ts = valid_until;
  keys.verify_keys = std::move(current);
  return keys;
}

TEST(RemoteKeyStore, RotatedKeysStayAsOldKeysAndSurviveAReopen) {
  test::TempDir dir;
  {
    auto database = storage::Database::open({dir.str("db"), false, 8});
    RemoteKeyStore store(*database);
    EXPECT_FALSE(store.find("msk.example.org"));
    store.store(keys_with({{"ed25519:a", kKeyA}}, 10 * kDay), 1 * kDay);
    // A day later the server lists only its new key.
    auto rotated = keys_with({{"ed25519:b", kKeyB}}, 12 * kDay);
    rotated.signed_response = boost::json::object{{"server_name", "msk.example.org"}, {"valid_until_ts", 12 * kDay}};
    auto merged = store.store(rotated, 2 * kDay);
    EXPECT_EQ(merged.verify_keys.size(), 1u);
    ASSERT_TRUE(merged.old_verify_keys.contains("ed25519:a"));
    EXPECT_EQ(merged.old_verify_keys.at("ed25519:a").expired_ts, 2 * kDay);
    EXPECT_EQ(usable_key(merged, "ed25519:a", 2 * kDay - 1), kKeyA);
    EXPECT_FALSE(usable_key(merged, "ed25519:a", 2 * kDay + 1));
  }
  auto database = storage::Database::open({dir.str("db"), false, 8});
  RemoteKeyStore reopened(*database);
  auto keys = reopened.find("msk.example.org");
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->valid_until_ts, 12 * kDay);
  EXPECT_EQ(keys->verify_keys.at("ed25519:b"), kKeyB);
  EXPECT_EQ(keys->old_verify_keys.at("ed25519:a").key, kKeyA);
  // What a notary passes on survives too.
  EXPECT_EQ(keys->signed_response.at("valid_until_ts").as_int64(), 12 * kDay);
  EXPECT_FALSE(reopened.find("spb.example.org"));
}

TEST(RemoteKeyStore, AKeyListedAgainIsCurrentNotOld) {
  test::TempDir dir;
  auto database = storage::Database::open({dir.str("db"), false, 8});
  RemoteKeyStore store(*database);
  store.store(keys_with({{"ed25519:a", kKeyA}}, 10 * kDay), 1 * kDay);
  auto keys = store.store(keys_with({{"ed25519:a", kKeyA}}, 20 * kDay), 3 * kDay);
  EXPECT_TRUE(keys.old_verify_keys.empty());
  EXPECT_EQ(usable_key(keys, "ed25519:a", 15 * kDay), kKeyA);
}

}  // namespace
}  // namespace domovoy::federation
