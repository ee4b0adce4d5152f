// Server name resolution as the spec's steps have it, with the well-known fetch and the SRV
// lookup replaced by scripted answers so each step can be seen.
#include "federation/server_discovery.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <map>

#include "federation/federation_policy.hpp"

namespace domovoy::federation {
namespace {

namespace asio = boost::asio;

struct Scripted {
  std::map<std::string, WellKnownResult> well_known;  // hostname -> answer (none: an error)
  std::map<std::string, SrvTarget> srv;               // record -> target
  std::vector<std::string> fetched;
  std::vector<std::string> looked_up;
  std::int64_t now = 1'000'000;

  ServerDiscovery discovery() {
    return ServerDiscovery(
        [this](std::string host) -> asio::awaitable<WellKnownResult> {
          fetched.push_back(host);
          auto found = well_known.find(host);
          if (found == well_known.end()) co_return WellKnownResult{std::nullopt, std::chrono::hours(1)};
          co_return found->second;
        },
        [this](std::string record) -> asio::awaitable<std::optional<SrvTarget>> {
          looked_up.push_back(record);
          auto found = srv.find(record);
          if (found == srv.end()) co_return std::nullopt;
          co_return found->second;
        },
        [this] { return now; });
  }
};

std::optional<ServerAddress> resolve(ServerDiscovery& discovery, const std::string& name) {
  asio::io_context io;
  auto result = asio::co_spawn(io, discovery.resolve(name), asio::use_future);
  io.run();
  return result.get();
}

TEST(ServerDiscovery, IpLiteralIsUsedWithItsPortOr8448) {
  Scripted script;
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "192.0.2.7"), (ServerAddress{"192.0.2.7", "", "8448"}));
  EXPECT_EQ(resolve(discovery, "192.0.2.7:9000"), (ServerAddress{"192.0.2.7:9000", "", "9000"}));
  EXPECT_EQ(resolve(discovery, "[2001:db8::1]"), (ServerAddress{"[2001:db8::1]", "", "8448"}));
  EXPECT_EQ(resolve(discovery, "[2001:db8::1]:8009"), (ServerAddress{"[2001:db8::1]:8009", "", "8009"}));
  EXPECT_TRUE(script.fetched.empty());
  EXPECT_TRUE(script.looked_up.empty());
}

TEST(ServerDiscovery, HostnameWithPortIsContactedDirectly) {
  Scripted script;
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "msk.localhost:8449"), (ServerAddress{"msk.localhost:8449", "", ""}));
  EXPECT_TRUE(script.fetched.empty());
}

TEST(ServerDiscovery, WellKnownDelegationToAnAddressWithPort) {
  Scripted script;
  script.well_known["spb.example.org"] = {"matrix.spb.example.org:443", std::chrono::hours(24)};
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "spb.example.org"), (ServerAddress{"matrix.spb.example.org:443", "", ""}));
  EXPECT_TRUE(script.looked_up.empty());
}

TEST(ServerDiscovery, WellKnownDelegationToAnIpLiteral) {
  Scripted script;
  script.well_known["spb.example.org"] = {"198.51.100.3", std::chrono::hours(24)};
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "spb.example.org"), (ServerAddress{"198.51.100.3", "", "8448"}));
}

TEST(ServerDiscovery, DelegatedNameWithoutPortUsesItsSrvRecordButKeepsItsName) {
  Scripted script;
  script.well_known["spb.example.org"] = {"matrix.spb.example.org", std::chrono::hours(24)};
  script.srv["_matrix-fed._tcp.matrix.spb.example.org"] = {"node1.hosting.example", 8500};
  auto discovery = script.discovery();
  // The certificate and Host stay the delegated name's; only the connection goes to the SRV target.
  EXPECT_EQ(resolve(discovery, "spb.example.org"),
            (ServerAddress{"matrix.spb.example.org", "node1.hosting.example", "8500"}));
}

TEST(ServerDiscovery, DeprecatedSrvServiceIsTheFallback) {
  Scripted script;
  script.well_known["spb.example.org"] = {"matrix.spb.example.org", std::chrono::hours(24)};
  script.srv["_matrix._tcp.matrix.spb.example.org"] = {"old.hosting.example", 8600};
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "spb.example.org"),
            (ServerAddress{"matrix.spb.example.org", "old.hosting.example", "8600"}));
  EXPECT_EQ(script.looked_up, (std::vector<std::string>{"_matrix-fed._tcp.matrix.spb.example.org",
                                                        "_matrix._tcp.matrix.spb.example.org"}));
}

TEST(ServerDiscovery, DelegatedNameWithoutSrvGoesToPort8448) {
  Scripted script;
  script.well_known["spb.example.org"] = {"matrix.spb.example.org", std::chrono::hours(24)};
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "spb.example.org"), (ServerAddress{"matrix.spb.example.org", "", "8448"}));
}

TEST(ServerDiscovery, WithoutWellKnownTheHostnamesSrvThen8448) {
  Scripted script;
  script.srv["_matrix-fed._tcp.omsk.example.org"] = {"fed.omsk.example.org", 8448};
  auto discovery = script.discovery();
  EXPECT_EQ(resolve(discovery, "omsk.example.org"),
            (ServerAddress{"omsk.example.org", "fed.omsk.example.org", "8448"}));
  EXPECT_EQ(resolve(discovery, "kzn.example.org"), (ServerAddress{"kzn.example.org", "", "8448"}));
}

TEST(ServerDiscovery, AnswersAreCachedForTheirTimeOnly) {
  Scripted script;
  script.well_known["spb.example.org"] = {"matrix.spb.example.org:443", std::chrono::minutes(10)};
  auto discovery = script.discovery();
  resolve(discovery, "spb.example.org");
  resolve(discovery, "spb.example.org");
  EXPECT_EQ(script.fetched.size(), 1u);
  script.now += 10 * 60 * 1000 + 1;
  resolve(discovery, "spb.example.org");
  EXPECT_EQ(script.fetched.size(), 2u);
  // Failures are cached too (an hour in the scripted fetch), so a dead server is not asked each time.
  resolve(discovery, "dead.example.org");
  resolve(discovery, "dead.example.org");
  EXPECT_EQ(std::count(script.fetched.begin(), script.fetched.end(), "dead.example.org"), 1);
}

TEST(ServerDiscovery, InvalidNamesResolveToNothing) {
  Scripted script;
  auto discovery = script.discovery();
  EXPECT_FALSE(resolve(discovery, ""));
  EXPECT_FALSE(resolve(discovery, "spb.example.org:0"));
  EXPECT_FALSE(resolve(discovery, "spb.example.org:99999"));
  EXPECT_FALSE(resolve(discovery, "spb example.org"));
  EXPECT_TRUE(script.fetched.empty());
}

TEST(WellKnown, DelegationMustBeAServerName) {
  EXPECT_EQ(well_known_delegation(R"({"m.server":"matrix.example.org:443"})"), "matrix.example.org:443");
  EXPECT_FALSE(well_known_delegation(R"({"m.server":"https://matrix.example.org"})"));
  EXPECT_FALSE(well_known_delegation(R"({"m.server":42})"));
  EXPECT_FALSE(well_known_delegation(R"({})"));
  EXPECT_FALSE(well_known_delegation(R"(["m.server"])"));
  EXPECT_FALSE(well_known_delegation("not json"));
}

TEST(WellKnown, CacheTimeFollowsCacheControlWithinBounds) {
  using std::chrono::hours;
  using std::chrono::seconds;
  EXPECT_EQ(well_known_cache_time(""), hours(24));
  EXPECT_EQ(well_known_cache_time("public, max-age=600"), seconds(600));
  EXPECT_EQ(well_known_cache_time("max-age=999999999"), hours(48));
  EXPECT_EQ(well_known_cache_time("no-store"), seconds(0));
  EXPECT_EQ(well_known_cache_time("max-age=abc"), hours(24));
}

TEST(FederationPolicy, ClosedFederationAllowsOnlyWhatTheListNames) {
  Config::Federation config;
  config.allow = {"msk.example.org", "omsk.localhost:8449", "*.spb.example.org"};
  FederationPolicy policy(config);
  EXPECT_TRUE(policy.allows("msk.example.org"));
  EXPECT_TRUE(policy.allows("msk.example.org:8448"));  // a name without a port names the host on any port
  EXPECT_TRUE(policy.allows("MSK.example.org"));
  EXPECT_TRUE(policy.allows("omsk.localhost:8449"));
  EXPECT_FALSE(policy.allows("omsk.localhost:8450"));  // with a port, that server only
  EXPECT_TRUE(policy.allows("matrix.spb.example.org"));
  EXPECT_FALSE(policy.allows("spb.example.org"));  // the wildcard is for names under it
  EXPECT_FALSE(policy.allows("evilspb.example.org"));
  EXPECT_FALSE(policy.allows("kzn.example.org"));
  EXPECT_FALSE(policy.allows("not a server"));
}

TEST(FederationPolicy, OpenFederationAllowsAnyValidName) {
  Config::Federation config;
  config.open = true;
  FederationPolicy policy(config);
  EXPECT_TRUE(policy.allows("matrix.org"));
  EXPECT_FALSE(policy.allows("bad name"));
  FederationPolicy closed{Config::Federation{}};
  EXPECT_FALSE(closed.allows("matrix.org"));
}

}  // namespace
}  // namespace domovoy::federation
