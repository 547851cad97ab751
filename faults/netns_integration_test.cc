// The netns backend for real: namespaces, a bridge and veths, TCP between namespaces, cuts by
// policy routing. Needs root and iproute2; skipped, saying why, elsewhere. Everything it makes
// carries the "flnt" family prefix and lives in namespaces of its own.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "base/test_util.h"
#include "faults/netns.h"
#include "faults/test_server.h"

namespace faultline::faults {
namespace {

using nlohmann::json;
constexpr int64_t kWaitMs = 20'000;
constexpr int64_t kQuietMs = 300;
constexpr int kPort = 7000;

std::vector<std::string> NamespacesStartingWith(const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status supported = NetnsSupported();
    if (!supported.ok()) GTEST_SKIP() << "netns backend unavailable: " << supported.message();
    auto net = NetnsNetwork::Create({"a", "b", "c"}, {.family = "flnt", .subnet = "10.77.0"});
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    net_ = std::move(*net);
    auto listen = net_->ListenIn("b", kPort);
    ASSERT_TRUE(listen.ok()) << listen.status().ToString();
    auto server = TestServer::StartOn(TestServer::Mode::kEcho, std::move(*listen));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  // A connection from a to b's echo server that has carried one round trip.
  Fd Connected() {
    auto fd = net_->DialFrom("a", *net_->AddressOf("b") + ":" + std::to_string(kPort),
                             Deadline::AfterMillis(kWaitMs));
    EXPECT_TRUE(fd.ok()) << fd.status().ToString();
    if (!fd.ok()) return Fd();
    std::string echo;
    EXPECT_TRUE(WriteAll(fd->get(), "hi", Deadline::AfterMillis(kWaitMs)).ok());
    EXPECT_TRUE(ReadExactly(fd->get(), 2, &echo, Deadline::AfterMillis(kWaitMs)).ok());
    return std::move(*fd);
  }

  int Begin(std::vector<std::string> targets, json params) {
    auto h = net_->Begin(LinkFault{.kind = "partition",
                                   .targets = std::move(targets),
                                   .all_nodes = {},
                                   .params = std::move(params)},
                         Rng(5));
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : -1;
  }

  int BlackholeRules(const std::string& node) {
    CommandResult r = RunCommand("ip -n " + *net_->NamespaceOf(node) + " rule");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    int n = 0;
    for (size_t at = r.out.find("blackhole"); at != std::string::npos;
         at = r.out.find("blackhole", at + 1)) {
      ++n;
    }
    return n;
  }

  std::unique_ptr<NetnsNetwork> net_;
  std::unique_ptr<TestServer> server_;  // declared last: destroyed before the namespaces
};

TEST_F(NetnsTest, BuildsPrefixedNamespacesWithNoWayOutAndRemovesThem) {
  std::string prefix = net_->prefix();
  EXPECT_EQ(prefix.rfind("flnt", 0), 0u);
  EXPECT_EQ(NamespacesStartingWith(prefix).size(), 4u);  // hub + 3 nodes
  for (const auto& node : net_->nodes()) {
    CommandResult routes = RunCommand("ip -n " + *net_->NamespaceOf(node) + " route");
    EXPECT_EQ(routes.exit_code, 0);
    EXPECT_EQ(routes.out.find("default"), std::string::npos) << routes.out;
    EXPECT_NE(routes.out.find("10.77.0.0/24"), std::string::npos) << routes.out;
  }
  server_.reset();
  EXPECT_TRUE(net_->Destroy().ok());
  EXPECT_TRUE(NamespacesStartingWith(prefix).empty());
}

TEST_F(NetnsTest, PartitionHoldsTcpBytesAndHealReleasesThem) {
  Fd fd = Connected();
  ASSERT_TRUE(fd.valid());
  int h = Begin({"b"}, json::object());
  EXPECT_EQ(BlackholeRules("b"), 2);  // from a and from c
  ASSERT_TRUE(WriteAll(fd.get(), "during", Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_FALSE(server_->WaitReceived(0, 2 + 6, Deadline::AfterMillis(kQuietMs)));
  ASSERT_TRUE(net_->End(h).ok());
  EXPECT_EQ(BlackholeRules("b"), 0);
  std::string echo;
  ASSERT_TRUE(ReadExactly(fd.get(), 6, &echo, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echo, "during");
  EXPECT_EQ(server_->received(0), "hiduring");
}

TEST_F(NetnsTest, OneWayStopsOnlyTheTargetsSending) {
  Fd fd = Connected();
  ASSERT_TRUE(fd.valid());
  int h = Begin({"b"}, {{"direction", "one-way"}});
  EXPECT_EQ(BlackholeRules("b"), 0);
  EXPECT_EQ(BlackholeRules("a"), 1);
  ASSERT_TRUE(WriteAll(fd.get(), "ping", Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(server_->WaitReceived(0, 2 + 4, Deadline::AfterMillis(kWaitMs)));  // b receives
  EXPECT_FALSE(WaitFor(fd.get(), POLLIN, Deadline::AfterMillis(kQuietMs)));      // a does not
  ASSERT_TRUE(net_->End(h).ok());
  std::string echo;
  ASSERT_TRUE(ReadExactly(fd.get(), 4, &echo, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echo, "ping");
}

TEST_F(NetnsTest, OverlappingFaultsAreReferenceCounted) {
  int isolate_b = Begin({"b"}, json::object());
  json pairs = {{"shape", "pairs"}, {"pairs", json::array({json::array({"a", "b"})})}};
  int pair_ab = Begin({}, pairs);
  EXPECT_EQ(net_->cuts().size(), 4u);
  ASSERT_TRUE(net_->End(isolate_b).ok());
  EXPECT_EQ(net_->cuts(), (std::set<Cut>{{"a", "b"}, {"b", "a"}}));
  EXPECT_EQ(BlackholeRules("b"), 1);
  EXPECT_EQ(BlackholeRules("a"), 1);
  EXPECT_EQ(BlackholeRules("c"), 0);
  ASSERT_TRUE(net_->End(pair_ab).ok());
  EXPECT_TRUE(net_->cuts().empty());
  EXPECT_EQ(BlackholeRules("a") + BlackholeRules("b"), 0);

  Begin({"c"}, {{"shape", "halves"}});
  ASSERT_TRUE(net_->HealAll().ok());
  EXPECT_EQ(BlackholeRules("a") + BlackholeRules("b") + BlackholeRules("c"), 0);
}

TEST_F(NetnsTest, OnlyPartitionsAreSupported) {
  auto h = net_->Begin(
      LinkFault{.kind = "delay", .targets = {"a"}, .all_nodes = {}, .params = {{"delay_ms", 5}}},
      Rng(1));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(h.status().message().find("proxy"), std::string::npos);
}

TEST_F(NetnsTest, RemoveStaleTakesOnlyNamespacesOfDeadRuns) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // `child` is now a dead run's pid
  char dead[64];
  char alive[64];
  std::snprintf(dead, sizeof(dead), "flnt%xg-hub", static_cast<unsigned>(child));
  std::snprintf(alive, sizeof(alive), "flnt%xz-test", static_cast<unsigned>(::getpid()));
  ASSERT_EQ(RunCommand(std::string("ip netns add ") + dead).exit_code, 0);
  ASSERT_EQ(RunCommand(std::string("ip netns add ") + alive).exit_code, 0);
  auto removed = NetnsNetwork::RemoveStale("flnt");
  bool alive_kept = NamespacesStartingWith(alive).size() == 1;
  RunCommand(std::string("ip netns del ") + alive);
  RunCommand(std::string("ip netns del ") + dead + " 2>/dev/null");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, std::vector<std::string>{dead});
  EXPECT_TRUE(alive_kept);
  EXPECT_TRUE(NamespacesStartingWith(net_->prefix()).size() == 4u) << "our own run is alive";
}

}  // namespace
}  // namespace faultline::faults
