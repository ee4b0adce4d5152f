// The housing process's configuration and registration (housing/process/): unknown keys and bad
// values are errors naming the key; the registration claims exactly the five bots, and writing
// it again keeps its tokens.
#include <gtest/gtest.h>

#include <fstream>

#include "homeserver/appservice/registration.hpp"
#include "homeserver/tests/test_support.hpp"
#include "housing/process/process_config.hpp"
#include "housing/process/registration_writer.hpp"

namespace domovoy::housing {
namespace {

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  auto path = dir.str(name);
  std::ofstream(path) << text;
  return path;
}

TEST(ProcessConfig, ReadsKeysAndRefusesUnknownOnes) {
  test::TempDir dir;
  auto config = load_process_config(write(dir, "a.yaml",
                                          "homeserver: http://hs:8008\nserver_name: example.org\nlisten: 0.0.0.0:9100\n"
                                          "meters:\n  window_first_day: 15\n  monthly_maximum:\n    cold: '25'\n"
                                          "billing:\n  due_day: 15\n  key_rates:\n    - {from: '2026-01-01', basis_points: 1600}\n"
                                          "utilities:\n  - {user_id: '@vodokanal:example.org', buildings: [abc]}\n"));
  EXPECT_EQ(config.homeserver_url, "http://hs:8008");
  EXPECT_EQ(config.listen_port, 9100);
  EXPECT_EQ(config.reading_window_first_day, 15u);
  EXPECT_EQ(config.monthly_maximum["cold"], "25");
  EXPECT_EQ(config.due_day, 15u);
  ASSERT_EQ(config.key_rates.size(), 1u);
  EXPECT_EQ(config.key_rates[0].second, 1600u);
  ASSERT_EQ(config.utilities.size(), 1u);
  EXPECT_EQ(config.utilities[0].user_id, "@vodokanal:example.org");
  try {
    load_process_config(write(dir, "b.yaml", "meters:\n  windw_first_day: 15\n"));
    FAIL() << "a misspelt key must be refused";
  } catch (const ProcessConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("meters.windw_first_day"), std::string::npos) << error.what();
  }
  EXPECT_THROW(load_process_config(write(dir, "c.yaml", "billing:\n  due_day: tenth\n")), ProcessConfigError);
  EXPECT_THROW(load_process_config(write(dir, "d.yaml", "utilities:\n  - {user_id: vodokanal}\n")), ProcessConfigError);
}

TEST(ProcessConfig, ValidationNamesWhatIsWrong) {
  ProcessConfig config;
  EXPECT_THROW(validate_process_config(config), ProcessConfigError);  // no registration
  config.registration_file = "r.yaml";
  validate_process_config(config);
  auto bad = config;
  bad.reading_window_first_day = 26;
  EXPECT_THROW(validate_process_config(bad), ProcessConfigError);
  bad = config;
  bad.bots.meters = bad.bots.billing;
  EXPECT_THROW(validate_process_config(bad), ProcessConfigError);
  bad = config;
  bad.tariffs.push_back({"Газ", "м³", "metered", "petrol", 100, "1"});
  EXPECT_THROW(validate_process_config(bad), ProcessConfigError);
}

TEST(HousingRegistration, ClaimsExactlyTheBotsAndKeepsItsTokens) {
  test::TempDir dir;
  ProcessConfig config;
  config.server_name = "dom.example.org";
  auto path = dir.str("registration.yaml");
  write_registration(path, "http://127.0.0.1:9008", config);
  auto first = appservice::load_registration_file(path);
  EXPECT_EQ(first.id, kHousingAppserviceId);
  EXPECT_EQ(first.sender_localpart, "domovoy");
  EXPECT_FALSE(first.rate_limited);
  ASSERT_EQ(first.namespaces.users.size(), 5u);
  bool meters = false;
  for (const auto& entry : first.namespaces.users) {
    EXPECT_TRUE(entry.exclusive);
    EXPECT_FALSE(appservice::namespace_matches(entry, "@metersX:dom.example.org"));
    EXPECT_FALSE(appservice::namespace_matches(entry, "@meters:domXexample.org"));  // the dot is literal
    meters = meters || appservice::namespace_matches(entry, "@meters:dom.example.org");
  }
  EXPECT_TRUE(meters);
  write_registration(path, "http://127.0.0.1:9100", config);
  auto second = appservice::load_registration_file(path);
  EXPECT_EQ(second.as_token, first.as_token);
  EXPECT_EQ(second.hs_token, first.hs_token);
  EXPECT_EQ(second.url, "http://127.0.0.1:9100");
  EXPECT_THROW(write_registration(write(dir, "other.yaml", "not: [a registration"), "http://x", config), ProcessConfigError);
  EXPECT_THROW(write_registration(path, "ftp://x", config), ProcessConfigError);
}

}  // namespace
}  // namespace domovoy::housing
