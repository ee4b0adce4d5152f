// AccountStore (accounts/account_store.hpp) on a real database: sessions end for good.
// The race tests drive many threads through one user and check that no token survives the
// change that should have ended it; before the per-user lock, parallel logins with one
// device_id left tokens no device pointed to, which logout-all then missed.
#include <gtest/gtest.h>

#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "homeserver/accounts/account_store.hpp"
#include "homeserver/events/base64.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

constexpr const char* kUser = "@alice:example.org";
constexpr int kThreads = 16;
constexpr int kLoginsPerThread = 8;

class AccountStoreTest : public ::testing::Test {
 protected:
  AccountStoreTest() { open(); }

  void open() {
    accounts.reset();
    database.reset();
    // Synced writes, as in production: the fsync is the window in which unserialised logins race.
    database = storage::Database::open({dir.str("db"), /*sync_writes=*/true, /*block_cache_mb=*/8});
    accounts = std::make_unique<AccountStore>(*database);
  }

  // Logs in `kThreads` x `kLoginsPerThread` times at once, all with one device id; returns every
  // token handed out.
  std::vector<std::string> parallel_logins(const std::string& device_id) {
    std::mutex mutex;
    std::vector<std::string> tokens;
    std::vector<std::thread> threads;
    std::latch start(kThreads);  // all threads log in at once, which is what races
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        for (int i = 0; i < kLoginsPerThread; ++i) {
          auto issued = accounts->issue_token(kUser, device_id, std::nullopt, "127.0.0.1");
          ASSERT_TRUE(issued);
          std::lock_guard lock(mutex);
          tokens.push_back(issued->access_token);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    return tokens;
  }

  // The same, for logins that may be refused (the account is being deactivated meanwhile).
  std::vector<std::string> parallel_logins_allowing_refusal() {
    std::mutex mutex;
    std::vector<std::string> tokens;
    std::vector<std::thread> threads;
    std::latch start(kThreads);  // all threads log in at once, which is what races
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        for (int i = 0; i < kLoginsPerThread; ++i) {
          if (auto issued = accounts->issue_token(kUser, std::string("PHONE"), std::nullopt, "127.0.0.1")) {
            std::lock_guard lock(mutex);
            tokens.push_back(issued->access_token);
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    return tokens;
  }

  int live_tokens(const std::vector<std::string>& tokens) const {
    int live = 0;
    for (const auto& token : tokens) live += accounts->resolve_token(token).has_value();
    return live;
  }

  test::TempDir dir;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<AccountStore> accounts;
};

TEST_F(AccountStoreTest, ParallelLoginsWithOneDeviceLeaveOneLiveToken) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto tokens = parallel_logins("PHONE");
  EXPECT_EQ(live_tokens(tokens), 1) << "a device has one session; the others were replaced";
  ASSERT_EQ(accounts->devices(kUser).size(), 1u);
}

TEST_F(AccountStoreTest, LogoutAllAfterParallelLoginsLeavesNoLiveToken) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto tokens = parallel_logins("PHONE");
  accounts->end_all_sessions(kUser);
  EXPECT_EQ(live_tokens(tokens), 0);
  EXPECT_TRUE(accounts->devices(kUser).empty());
}

TEST_F(AccountStoreTest, PasswordChangeAfterParallelLoginsKeepsOnlyTheCallersDevice) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto keep = accounts->issue_token(kUser, std::string("LAPTOP"), std::nullopt, "127.0.0.1");
  ASSERT_TRUE(keep);
  auto tokens = parallel_logins("PHONE");
  ASSERT_TRUE(accounts->change_password(kUser, "new hash", std::string("LAPTOP")));
  EXPECT_EQ(live_tokens(tokens), 0);
  EXPECT_TRUE(accounts->resolve_token(keep->access_token)) << "the caller's own session stays";
  EXPECT_EQ(accounts->find(kUser)->password_hash, "new hash");
}

TEST_F(AccountStoreTest, PasswordChangeWithoutLogoutKeepsEverySession) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto token = accounts->issue_token(kUser, std::string("PHONE"), std::nullopt, "127.0.0.1");
  ASSERT_TRUE(accounts->change_password(kUser, "new hash", std::nullopt));
  EXPECT_TRUE(accounts->resolve_token(token->access_token));
}

TEST_F(AccountStoreTest, DeactivationAfterParallelLoginsRevokesEveryToken) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto tokens = parallel_logins("PHONE");
  auto other = parallel_logins("LAPTOP");
  tokens.insert(tokens.end(), other.begin(), other.end());
  ASSERT_TRUE(accounts->deactivate(kUser));
  EXPECT_EQ(live_tokens(tokens), 0);
  EXPECT_TRUE(accounts->devices(kUser).empty());
  auto account = accounts->find(kUser);
  EXPECT_TRUE(account->deactivated);
  EXPECT_TRUE(account->password_hash.empty());
  EXPECT_TRUE(account->leaves_pending) << "the room leaves still have to be sent";
  EXPECT_FALSE(accounts->issue_token(kUser, std::nullopt, std::nullopt, "127.0.0.1")) << "no new session either";
}

TEST_F(AccountStoreTest, LoginsRacingDeactivationLeaveNoLiveToken) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  std::vector<std::string> tokens;
  std::thread deactivation([&] { accounts->deactivate(kUser); });
  tokens = parallel_logins_allowing_refusal();
  deactivation.join();
  EXPECT_EQ(live_tokens(tokens), 0);
}

TEST_F(AccountStoreTest, DeactivationSurvivesARestartAndLeavesStayPendingUntilFinished) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto token = accounts->issue_token(kUser, std::string("PHONE"), std::nullopt, "127.0.0.1");
  ASSERT_TRUE(accounts->deactivate(kUser));
  open();
  EXPECT_FALSE(accounts->resolve_token(token->access_token));
  EXPECT_EQ(accounts->users_with_pending_leaves(), std::vector<std::string>{kUser});
  accounts->finish_leaves(kUser);
  EXPECT_TRUE(accounts->users_with_pending_leaves().empty());
}

TEST_F(AccountStoreTest, CacheCannotServeALoggedOutToken) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto token = accounts->issue_token(kUser, std::string("PHONE"), std::nullopt, "127.0.0.1");
  auto owner = accounts->resolve_token(token->access_token);  // now cached
  ASSERT_TRUE(owner);
  accounts->end_session(kUser, owner->device_id, owner->token_hash);
  EXPECT_FALSE(accounts->resolve_token(token->access_token));
}

TEST_F(AccountStoreTest, CacheCannotServeADeactivatedUsersToken) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  auto token = accounts->issue_token(kUser, std::string("PHONE"), std::nullopt, "127.0.0.1");
  ASSERT_TRUE(accounts->resolve_token(token->access_token));  // now cached
  ASSERT_TRUE(accounts->deactivate(kUser));
  EXPECT_FALSE(accounts->resolve_token(token->access_token));
}

TEST_F(AccountStoreTest, SessionOfADeactivatedAccountLeftInStorageIsRefused) {
  // A session row that no index lists and no device points to, as the old unserialised login
  // could leave (or a restored backup): the account's flag alone must refuse it.
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  ASSERT_TRUE(accounts->deactivate(kUser));
  storage::WriteBatch batch;
  batch.put(storage::Table::tokenhash_session, AccountStore::hash_token("syt_stray"),
            R"({"user_id":"@alice:example.org","device_id":"OLD"})");
  database->write(std::move(batch));
  EXPECT_FALSE(accounts->resolve_token("syt_stray"));
}

TEST_F(AccountStoreTest, SessionsFromBeforeTheIndexAreIndexedAtStartAndRevocable) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  // A schema 1 database: an orphaned session and no index at all.
  storage::WriteBatch batch;
  batch.put(storage::Table::tokenhash_session, AccountStore::hash_token("syt_orphan"),
            R"({"user_id":"@alice:example.org","device_id":"PHONE"})");
  database->write(std::move(batch));
  open();
  ASSERT_TRUE(accounts->resolve_token("syt_orphan"));
  accounts->end_all_sessions(kUser);
  EXPECT_FALSE(accounts->resolve_token("syt_orphan"));
}

TEST_F(AccountStoreTest, RenameNeverBringsBackADeletedDevice) {
  ASSERT_TRUE(accounts->create(kUser, "hash"));
  ASSERT_TRUE(accounts->issue_token(kUser, std::string("PHONE"), std::nullopt, "127.0.0.1"));
  accounts->delete_devices(kUser, {"PHONE"});
  EXPECT_FALSE(accounts->rename_device(kUser, "PHONE", "new name"));
  EXPECT_FALSE(accounts->device(kUser, "PHONE"));
}

}  // namespace
}  // namespace domovoy
