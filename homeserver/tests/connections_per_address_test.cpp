// The per-address connection count behind limits.max_connections_per_address
// (http/connections_per_address.hpp).
#include <gtest/gtest.h>

#include "homeserver/http/connections_per_address.hpp"

namespace domovoy::http {
namespace {

TEST(ConnectionsPerAddress, RefusesBeyondTheMaximumPerAddress) {
  ConnectionsPerAddress connections(2);
  EXPECT_TRUE(connections.try_open("10.0.0.1"));
  EXPECT_TRUE(connections.try_open("10.0.0.1"));
  EXPECT_FALSE(connections.try_open("10.0.0.1"));
  EXPECT_EQ(connections.open("10.0.0.1"), 2u) << "a refused connection is not counted";
  EXPECT_TRUE(connections.try_open("10.0.0.2")) << "other addresses have their own count";
}

TEST(ConnectionsPerAddress, AClosedConnectionFreesItsPlace) {
  ConnectionsPerAddress connections(1);
  EXPECT_TRUE(connections.try_open("10.0.0.1"));
  EXPECT_FALSE(connections.try_open("10.0.0.1"));
  connections.close("10.0.0.1");
  EXPECT_EQ(connections.open("10.0.0.1"), 0u);
  EXPECT_TRUE(connections.try_open("10.0.0.1"));
}

}  // namespace
}  // namespace domovoy::http
