// VerificationStore (housing/service/verification_store.hpp) on a real database: a code is
// redeemed once even by threads racing for it, used and expired codes say so, revocation and
// the expiry index follow the verifications, and every change leaves a pending marker.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "homeserver/tests/test_support.hpp"
#include "housing/service/verification_store.hpp"
#include "housing/verification/verification_code.hpp"
#include "storage/database.hpp"

namespace domovoy::housing {
namespace {

constexpr std::int64_t kDay = 86400000;

class VerificationStoreTest : public ::testing::Test {
 protected:
  VerificationStoreTest() : database(storage::Database::open({dir.str("db"), false, 8})), store(*database) {}

  std::string add_code(const std::string& apartment, const std::string& role, std::int64_t expires_at) {
    auto code = generate_verification_code();
    store.add_codes({{*hash_verification_code(code), CodeRecord{"b1", apartment, role, expires_at, {}}}});
    return *hash_verification_code(code);
  }

  test::TempDir dir;
  std::unique_ptr<storage::Database> database;
  VerificationStore store;
};

TEST_F(VerificationStoreTest, ThreadsRacingForOneCodeHaveOneWinner) {
  auto hash = add_code("1", "owner", 100 * kDay);
  std::atomic<int> verified{0}, used{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto outcome = store.redeem(hash, "@u" + std::to_string(i) + ":x", kDay, 365 * kDay).outcome;
      if (outcome == VerificationStore::Outcome::verified) ++verified;
      if (outcome == VerificationStore::Outcome::used) ++used;
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 1);
  EXPECT_EQ(used.load(), 7);
  EXPECT_EQ(store.of_building("b1").size(), 1u);
}

TEST_F(VerificationStoreTest, TheSameUserRedeemingAgainIsAnsweredAsTheFirstTime) {
  auto hash = add_code("3", "owner", 100 * kDay);
  auto first = store.redeem(hash, "@a:x", kDay, 365 * kDay);
  ASSERT_EQ(first.outcome, VerificationStore::Outcome::verified);
  auto again = store.redeem(hash, "@a:x", 2 * kDay, 365 * kDay);
  EXPECT_EQ(again.outcome, VerificationStore::Outcome::verified);
  EXPECT_EQ(again.verification.verified_at, first.verification.verified_at);  // nothing renewed
  EXPECT_EQ(store.redeem(hash, "@b:x", 2 * kDay, 365 * kDay).outcome, VerificationStore::Outcome::used);
  // Once revoked, the code does not bring its first user back either.
  store.revoke("@a:x", "b1", "3");
  EXPECT_EQ(store.redeem(hash, "@a:x", 3 * kDay, 365 * kDay).outcome, VerificationStore::Outcome::used);
}

TEST_F(VerificationStoreTest, UnknownAndExpiredCodesSaySo) {
  EXPECT_EQ(store.redeem("no-such-hash", "@a:x", kDay, kDay).outcome, VerificationStore::Outcome::unknown);
  auto hash = add_code("2", "tenant", 2 * kDay);
  EXPECT_EQ(store.redeem(hash, "@a:x", 3 * kDay, kDay).outcome, VerificationStore::Outcome::expired);
  EXPECT_TRUE(store.of_user("@a:x").empty());
}

TEST_F(VerificationStoreTest, RevocationAndExpiryIndexFollowVerifications) {
  store.verify({"@a:x", "b1", "1", "owner", "operator", 0, 10 * kDay, {}});
  store.verify({"@b:x", "b1", "2", "tenant", "operator", 0, 5 * kDay, {}});
  auto soon = store.expiring(7 * kDay, 10);
  ASSERT_EQ(soon.size(), 1u);
  EXPECT_EQ(soon[0].user_id, "@b:x");
  EXPECT_EQ(store.expiring(20 * kDay, 10).size(), 2u);
  EXPECT_EQ(store.revoke("@b:x", "b1").size(), 1u);
  EXPECT_TRUE(store.revoke("@b:x", "b1").empty());
  EXPECT_EQ(store.expiring(20 * kDay, 10).size(), 1u);
  auto pending = store.pending();
  EXPECT_NE(std::find(pending.begin(), pending.end(), std::pair<std::string, std::string>{"user", "@b:x"}), pending.end());
  store.clear_pending("user", "@b:x");
  pending = store.pending();
  EXPECT_EQ(std::find(pending.begin(), pending.end(), std::pair<std::string, std::string>{"user", "@b:x"}), pending.end());
}

TEST_F(VerificationStoreTest, ReminderIsRecordedOnceForTheSameVerification) {
  auto v = store.verify({"@a:x", "b1", "1", "owner", "code", 0, 10 * kDay, {}});
  store.mark_reminded(v, 30);
  auto stored = store.of_user("@a:x");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].reminded, std::vector<unsigned>{30});
  // A renewed verification (another expiry) starts without reminders.
  store.verify({"@a:x", "b1", "1", "owner", "code", 0, 400 * kDay, {}});
  store.mark_reminded(v, 7);  // for the old expiry: ignored
  EXPECT_TRUE(store.of_user("@a:x")[0].reminded.empty());
}

}  // namespace
}  // namespace domovoy::housing
