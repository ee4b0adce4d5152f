// Registration tokens (accounts/registration_tokens.hpp): uses_allowed counts pending and
// completed uses, completed survives a restart, expiry compares with the injected clock.
#include <gtest/gtest.h>

#include "homeserver/accounts/registration_tokens.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"

namespace domovoy {
namespace {

class RegistrationTokensTest : public ::testing::Test {
 protected:
  RegistrationTokensTest() : database(storage::Database::open({dir.str("db"), false, 8})) {}

  std::unique_ptr<RegistrationTokens> tokens_of(std::vector<RegistrationTokenConfig> config) {
    return std::make_unique<RegistrationTokens>(*database, std::move(config), [this] { return now; });
  }
  // Completes a registration whose account write succeeds.
  static bool complete(RegistrationTokens& tokens, RegistrationTokens::Reservation& reservation) {
    return tokens.complete(reservation, [](storage::WriteBatch) { return true; });
  }

  test::TempDir dir;
  std::unique_ptr<storage::Database> database;
  std::int64_t now = 1'000'000;
};

TEST_F(RegistrationTokensTest, OneUseTokenIsUsableOnce) {
  auto tokens = tokens_of({{"once", 1, std::nullopt}});
  auto first = tokens->reserve("once");
  ASSERT_TRUE(first);
  EXPECT_FALSE(tokens->reserve("once")) << "a pending use counts against uses_allowed";
  EXPECT_EQ(tokens->describe("once")->pending, 1);
  ASSERT_TRUE(complete(*tokens, *first));
  EXPECT_FALSE(tokens->valid("once"));
  auto info = tokens->describe("once");
  EXPECT_EQ(info->pending, 0);
  EXPECT_EQ(info->completed, 1);
  EXPECT_EQ(info->uses_allowed, 1);
}

TEST_F(RegistrationTokensTest, FailedRegistrationGivesTheUseBack) {
  auto tokens = tokens_of({{"once", 1, std::nullopt}});
  {
    auto reservation = tokens->reserve("once");
    ASSERT_TRUE(reservation);
    EXPECT_FALSE(tokens->complete(*reservation, [](storage::WriteBatch) { return false; }));
  }
  EXPECT_TRUE(tokens->valid("once"));
  EXPECT_EQ(tokens->describe("once")->completed, 0);
}

TEST_F(RegistrationTokensTest, CompletedUsesSurviveARestart) {
  {
    auto tokens = tokens_of({{"once", 1, std::nullopt}});
    auto reservation = tokens->reserve("once");
    // The batch is what the account store would write with the account: write it here.
    ASSERT_TRUE(tokens->complete(*reservation, [this](storage::WriteBatch batch) {
      database->write(std::move(batch));
      return true;
    }));
  }
  auto tokens = tokens_of({{"once", 1, std::nullopt}});
  EXPECT_FALSE(tokens->valid("once"));
  EXPECT_EQ(tokens->describe("once")->completed, 1);
}

TEST_F(RegistrationTokensTest, ExpiredTokenIsRefused) {
  auto tokens = tokens_of({{"past", std::nullopt, now - 1}, {"future", std::nullopt, now + 60000}});
  EXPECT_FALSE(tokens->valid("past"));
  EXPECT_FALSE(tokens->reserve("past"));
  EXPECT_TRUE(tokens->valid("future"));
  now += 60000;
  EXPECT_FALSE(tokens->valid("future")) << "expiry_time is the first instant it is refused";
}

TEST_F(RegistrationTokensTest, UnlimitedTokenAndUnknownTokens) {
  auto tokens = tokens_of({{"open", std::nullopt, std::nullopt}});
  for (int i = 0; i < 5; ++i) {
    auto reservation = tokens->reserve("open");
    ASSERT_TRUE(reservation);
    ASSERT_TRUE(complete(*tokens, *reservation));
  }
  EXPECT_TRUE(tokens->valid("open"));
  EXPECT_FALSE(tokens->valid("ope"));
  EXPECT_FALSE(tokens->valid("open "));
  EXPECT_FALSE(tokens->valid(""));
  EXPECT_FALSE(tokens->describe("other"));
}

}  // namespace
}  // namespace domovoy
