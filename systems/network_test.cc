#include "systems/network.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

namespace faultline::systems {
namespace {

TEST(Network, DirectDialsTheListenAddress) {
  auto net = Network::Create("direct", {"a", "b"});
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  auto b = (*net)->ListenAddress("b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rfind("127.0.0.1:", 0), 0u);
  ASSERT_TRUE((*net)->AddLink("a", "b", *b).ok());
  ASSERT_TRUE((*net)->Start().ok());
  EXPECT_EQ(*(*net)->DialAddress("a", "b"), *b);
  EXPECT_FALSE((*net)->DialAddress("b", "a").ok());
  EXPECT_EQ((*net)->links(), nullptr);
  auto argv = (*net)->Command("a", {"prog", "x"});
  EXPECT_EQ(*argv, (std::vector<std::string>{"prog", "x"}));
}

TEST(Network, OneAddressPerTarget) {
  auto net = Network::Create("direct", {"a", "b", "c"});
  ASSERT_TRUE(net.ok());
  ASSERT_TRUE((*net)->AddLink("a", "c", "127.0.0.1:1000").ok());
  ASSERT_TRUE((*net)->AddLink("b", "c", "127.0.0.1:1000").ok());
  Status twice = (*net)->AddLink("b", "c", "127.0.0.1:2000");
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.message().find("two addresses"), std::string::npos) << twice.ToString();
}

TEST(Network, ProxyPutsAProxyOnEveryLinkThatRelaysBytes) {
  auto net = Network::Create("proxy", {"client", "server"});
  ASSERT_TRUE(net.ok());
  ASSERT_TRUE(net.ok());
  auto listener = ListenTcp("127.0.0.1:0");
  ASSERT_TRUE(listener.ok());
  std::string address = *LocalAddress(listener->get());
  ASSERT_TRUE((*net)->AddLink("client", "server", address).ok());
  ASSERT_TRUE((*net)->Start().ok());
  ASSERT_NE((*net)->links(), nullptr);
  auto dial = (*net)->DialAddress("client", "server");
  ASSERT_TRUE(dial.ok());
  EXPECT_NE(*dial, address) << "the client must dial the proxy";
  auto conn = ConnectTcp(*dial, Deadline::AfterMillis(5000));
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE(WaitFor(listener->get(), POLLIN, Deadline::AfterMillis(5000)));
  auto accepted = AcceptOne(listener->get(), /*non_blocking=*/false);
  ASSERT_TRUE(accepted.ok() && accepted->valid());
  ASSERT_TRUE(WaitFor(conn->get(), POLLOUT, Deadline::AfterMillis(5000)));
  ASSERT_EQ(::send(conn->get(), "ping", 4, MSG_NOSIGNAL), 4);
  char buf[4];
  ASSERT_EQ(::recv(accepted->get(), buf, sizeof(buf), MSG_WAITALL), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
}

TEST(Network, UnknownKindsAreRefused) {
  auto net = Network::Create("carrier-pigeon", {"a"});
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.status().message().find("expected direct, proxy or netns"), std::string::npos);
}

}  // namespace
}  // namespace faultline::systems
