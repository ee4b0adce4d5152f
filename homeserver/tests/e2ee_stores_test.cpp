// The end-to-end encryption stores on a real database: one-time keys are handed out once each
// and then the fallback key, a reused key id with another key is refused, a device's removal
// takes its keys and inbox; to-device messages wait until acknowledged and a transaction id
// delivers once; the key backup keeps the better copy of a session by the spec's rule and
// refuses writes to any version but the current one.
#include <gtest/gtest.h>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/e2ee/device_key_store.hpp"
#include "homeserver/e2ee/key_backup_store.hpp"
#include "homeserver/e2ee/to_device_store.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"

namespace domovoy {
namespace {

constexpr const char* kAlice = "@alice:example.org";
constexpr const char* kBob = "@bob:example.org";

class E2eeStoresTest : public ::testing::Test {
 protected:
  E2eeStoresTest()
      : database(storage::Database::open({dir.str("db"), false, 8})),
        stream(0),
        keys(*database, stream),
        to_device(*database, stream),
        backups(*database) {}

  json::object device_keys(const std::string& user, const std::string& device) {
    return json::object{{"user_id", user},
                        {"device_id", device},
                        {"algorithms", json::array{"m.olm.v1.curve25519-aes-sha2"}},
                        {"keys", json::object{{"ed25519:" + device, "pub"}}}};
  }

  static json::object backup_key(std::int64_t index, std::int64_t forwarded, bool verified, const char* data) {
    return json::object{{"first_message_index", index},
                        {"forwarded_count", forwarded},
                        {"is_verified", verified},
                        {"session_data", json::object{{"ciphertext", data}}}};
  }

  json::object one_session(const char* session, json::object data) {
    return json::object{{"!room:example.org", json::object{{"sessions", json::object{{session, std::move(data)}}}}}};
  }

  test::TempDir dir;
  std::unique_ptr<storage::Database> database;
  StreamTracker stream;
  DeviceKeyStore keys;
  ToDeviceStore to_device;
  KeyBackupStore backups;
};

TEST_F(E2eeStoresTest, OneTimeKeysAreClaimedOnceThenTheFallbackKey) {
  auto dk = device_keys(kAlice, "PHONE");
  json::object otks{{"signed_curve25519:A", "ka"}, {"signed_curve25519:B", "kb"}};
  json::object fallback{{"signed_curve25519:F", "kf"}};
  EXPECT_TRUE(keys.upload(kAlice, "PHONE", &dk, &otks, &fallback));
  EXPECT_FALSE(keys.upload(kAlice, "PHONE", &dk, &otks, nullptr)) << "the same keys again change nothing";
  EXPECT_EQ(keys.one_time_key_counts(kAlice, "PHONE").at("signed_curve25519"), 2u);
  std::set<std::string> claimed;
  for (int i = 0; i < 2; ++i) claimed.insert(keys.claim(kAlice, "PHONE", "signed_curve25519")->key_id);
  EXPECT_EQ(claimed, (std::set<std::string>{"signed_curve25519:A", "signed_curve25519:B"}));
  EXPECT_EQ(keys.one_time_key_counts(kAlice, "PHONE").at("signed_curve25519"), 0u);
  EXPECT_EQ(keys.unused_fallback_key_types(kAlice, "PHONE"), std::vector<std::string>{"signed_curve25519"});
  for (int i = 0; i < 2; ++i) EXPECT_EQ(keys.claim(kAlice, "PHONE", "signed_curve25519")->key_id, "signed_curve25519:F");
  EXPECT_TRUE(keys.unused_fallback_key_types(kAlice, "PHONE").empty());
  EXPECT_FALSE(keys.claim(kAlice, "PHONE", "other_algorithm"));
  EXPECT_FALSE(keys.claim(kAlice, "TABLET", "signed_curve25519"));
}

TEST_F(E2eeStoresTest, UploadsAreChecked) {
  json::object reused{{"signed_curve25519:A", "ka"}};
  keys.upload(kAlice, "PHONE", nullptr, &reused, nullptr);
  json::object other{{"signed_curve25519:A", "different"}};
  EXPECT_THROW(keys.upload(kAlice, "PHONE", nullptr, &other, nullptr), ApiError);
  auto foreign = device_keys(kBob, "PHONE");
  EXPECT_THROW(keys.upload(kAlice, "PHONE", &foreign, nullptr, nullptr), ApiError);
  auto wrong_device = device_keys(kAlice, "TABLET");
  EXPECT_THROW(keys.upload(kAlice, "PHONE", &wrong_device, nullptr, nullptr), ApiError);
  json::object bad_id{{"no-colon", "k"}};
  EXPECT_THROW(keys.upload(kAlice, "PHONE", nullptr, &bad_id, nullptr), ApiError);
  EXPECT_EQ(keys.one_time_key_counts(kAlice, "PHONE").at("signed_curve25519"), 1u) << "a refused upload stored nothing";
}

TEST_F(E2eeStoresTest, RemovingADeviceTakesItsKeysAndInbox) {
  auto dk = device_keys(kAlice, "PHONE");
  json::object otks{{"signed_curve25519:A", "ka"}};
  keys.upload(kAlice, "PHONE", &dk, &otks, nullptr);
  to_device.send(kBob, "BOBDEV", "t1", "m.test", {{kAlice, "PHONE", json::object{{"n", 1}}}});
  storage::WriteBatch batch;
  keys.stage_device_removal(batch, kAlice, "PHONE");
  to_device.stage_device_removal(batch, kAlice, "PHONE");
  database->write(std::move(batch));
  EXPECT_FALSE(keys.device_keys(kAlice, "PHONE"));
  EXPECT_FALSE(keys.claim(kAlice, "PHONE", "signed_curve25519"));
  EXPECT_TRUE(to_device.pending(kAlice, "PHONE", 0, stream.current(), 100).empty());
}

TEST_F(E2eeStoresTest, DeviceListChangesByPosition) {
  auto first = keys.note_change(kAlice);
  auto second = keys.note_change(kBob);
  EXPECT_EQ(keys.changed_users(0, second), (std::set<std::string>{kAlice, kBob}));
  EXPECT_EQ(keys.changed_users(first, second), (std::set<std::string>{kBob}));
  EXPECT_TRUE(keys.changed_users(second, second).empty());
  EXPECT_EQ(keys.latest_change(), second);
}

TEST_F(E2eeStoresTest, ToDeviceMessagesWaitUntilAcknowledgedAndATransactionDeliversOnce) {
  EXPECT_TRUE(to_device.send(kBob, "BOBDEV", "t1", "m.test", {{kAlice, "PHONE", json::object{{"n", 1}}}}));
  EXPECT_FALSE(to_device.send(kBob, "BOBDEV", "t1", "m.test", {{kAlice, "PHONE", json::object{{"n", 1}}}}));
  EXPECT_TRUE(to_device.send(kBob, "BOBDEV", "t2", "m.test", {{kAlice, "PHONE", json::object{{"n", 2}}}}));
  auto all = to_device.pending(kAlice, "PHONE", 0, stream.current(), 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].event.at("content").at("n").as_int64(), 1);
  EXPECT_EQ(all[0].event.at("sender").as_string(), kBob);
  auto limited = to_device.pending(kAlice, "PHONE", 0, stream.current(), 1);
  ASSERT_EQ(limited.size(), 1u);
  to_device.acknowledge(kAlice, "PHONE", limited[0].stream);
  auto rest = to_device.pending(kAlice, "PHONE", 0, stream.current(), 100);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].event.at("content").at("n").as_int64(), 2);
  EXPECT_TRUE(to_device.pending(kAlice, "TABLET", 0, stream.current(), 100).empty()) << "inboxes are per device";
}

TEST_F(E2eeStoresTest, BackupKeepsTheBetterCopyBySpecRule) {
  auto version = backups.create_version(kAlice, "alg", json::object{{"public_key", "pk"}});
  backups.put_keys(kAlice, version, one_session("s", backup_key(5, 0, false, "first")));
  auto stored = [&] {
    return std::string(backups.get_keys(kAlice, version, "!room:example.org", "s").at("session_data").at("ciphertext").as_string());
  };
  backups.put_keys(kAlice, version, one_session("s", backup_key(9, 0, false, "later index")));
  EXPECT_EQ(stored(), "first");
  backups.put_keys(kAlice, version, one_session("s", backup_key(5, 1, false, "more forwards")));
  EXPECT_EQ(stored(), "first");
  backups.put_keys(kAlice, version, one_session("s", backup_key(5, 0, true, "verified")));
  EXPECT_EQ(stored(), "verified");
  backups.put_keys(kAlice, version, one_session("s", backup_key(0, 0, false, "unverified but earlier")));
  EXPECT_EQ(stored(), "verified") << "a verified copy beats an unverified one whatever its index";
  auto totals = backups.put_keys(kAlice, version, one_session("t", backup_key(0, 0, false, "second session")));
  EXPECT_EQ(totals.count, 2u);
  EXPECT_EQ(backups.latest(kAlice)->count, 2u);
}

TEST_F(E2eeStoresTest, BackupWritesGoToTheCurrentVersionOnly) {
  EXPECT_THROW(backups.put_keys(kAlice, "1", one_session("s", backup_key(0, 0, false, "x"))), ApiError);
  auto first = backups.create_version(kAlice, "alg", {});
  auto second = backups.create_version(kAlice, "alg", {});
  try {
    backups.put_keys(kAlice, first, one_session("s", backup_key(0, 0, false, "x")));
    FAIL() << "a write into an old version was accepted";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.errcode(), "M_WRONG_ROOM_KEYS_VERSION");
    EXPECT_EQ(error.extra().at("current_version").as_string(), second);
  }
  EXPECT_TRUE(backups.delete_version(kAlice, second));
  EXPECT_EQ(backups.latest(kAlice)->version, first);
  auto third = backups.create_version(kAlice, "alg", {});
  EXPECT_NE(third, second) << "a deleted version's number is not given again";
  EXPECT_FALSE(backups.version(kBob, first)) << "backups are per user";
  EXPECT_THROW(backups.update_version(kAlice, third, "other", {}), ApiError);
}

}  // namespace
}  // namespace domovoy
