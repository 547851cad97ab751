#include "base/socket.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline {
namespace {

// Outgoing connections take ports of the ephemeral range at any moment; a port picked for a
// node's config must stay clear of it, be free when picked, and not be one picked before for
// another node (a picked port stays free until its node binds it).
TEST(PickFreePort, PicksFreshFreePortsOutsideTheEphemeralRange) {
  const auto [low, high] = EphemeralPortRange();
  ASSERT_LE(low, high);
  std::set<int> seen;
  constexpr int kPicks = 2000;  // drawn at random from ~20k ports, some would repeat
  for (int i = 0; i < kPicks; ++i) {
    auto port = PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    ASSERT_TRUE(*port < low || *port > high) << *port << " in " << low << "-" << high;
    if (i < 20) {
      auto listen = ListenTcp("127.0.0.1:" + std::to_string(*port));
      EXPECT_TRUE(listen.ok()) << listen.status().ToString();
    }
    seen.insert(*port);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPicks));
}

}  // namespace
}  // namespace faultline
