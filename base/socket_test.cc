#include "base/socket.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline {
namespace {

// Outgoing connections take ports of the ephemeral range at any moment; a port picked for a
// node's config must stay clear of it and be free when picked.
TEST(PickFreePort, PicksAFreePortOutsideTheEphemeralRange) {
  const auto [low, high] = EphemeralPortRange();
  ASSERT_LE(low, high);
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) {
    auto port = PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    EXPECT_TRUE(*port < low || *port > high) << *port << " in " << low << "-" << high;
    auto listen = ListenTcp("127.0.0.1:" + std::to_string(*port));
    EXPECT_TRUE(listen.ok()) << listen.status().ToString();
    seen.insert(*port);
  }
  EXPECT_GT(seen.size(), 1u) << "picked at random, not the same port each time";
}

}  // namespace
}  // namespace faultline
