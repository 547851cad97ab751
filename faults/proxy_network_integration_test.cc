// ProxyNetwork over real proxies: faults land on the right proxy directions, overlapping faults
// are reference-counted, and End undoes exactly what Begin did.
#include <gtest/gtest.h>
#include <poll.h>

#include "base/clock.h"
#include "faults/proxy_network.h"
#include "faults/sockets.h"
#include "faults/test_server.h"

namespace faultline::faults {
namespace {

using nlohmann::json;
constexpr Direction kFwd = Direction::kForward;
constexpr Direction kBwd = Direction::kBackward;
constexpr int64_t kWaitMs = 20'000;
const std::vector<std::string> kNodes = {"coordinator", "worker-1", "worker-2"};

class ProxyNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::map<std::string, std::string> listen;
    for (const auto& n : kNodes) {
      auto server = TestServer::Start(TestServer::Mode::kEcho);
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      listen[n] = (*server)->address();
      servers_[n] = std::move(*server);
    }
    auto net = ProxyNetwork::Start(
        {{"worker-1", "coordinator"}, {"worker-2", "coordinator"}, {"worker-1", "worker-2"}},
        listen);
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    net_ = std::move(*net);
  }

  LinkFault Fault(std::string kind, std::vector<std::string> targets, json params) {
    return LinkFault{.kind = std::move(kind),
                     .targets = std::move(targets),
                     .all_nodes = kNodes,
                     .params = std::move(params)};
  }
  int Begin(const LinkFault& fault) {
    auto h = net_->Begin(fault, Rng(42));
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : -1;
  }
  bool Cut(const std::string& from, const std::string& to, Direction d) {
    return net_->proxy(from, to)->faults(d).partitioned;
  }
  // Every (from, to, direction) that is partitioned right now.
  std::set<std::tuple<std::string, std::string, Direction>> AllCut() {
    std::set<std::tuple<std::string, std::string, Direction>> out;
    for (const auto& [from, to] : net_->links()) {
      for (Direction d : {kFwd, kBwd}) {
        if (Cut(from, to, d)) out.insert({from, to, d});
      }
    }
    return out;
  }
  bool AllHealed() {
    for (const auto& [from, to] : net_->links()) {
      for (Direction d : {kFwd, kBwd}) {
        if (!(net_->proxy(from, to)->faults(d) == LinkProxy::DirectionFaults())) return false;
      }
    }
    return true;
  }

  std::map<std::string, std::unique_ptr<TestServer>> servers_;
  std::unique_ptr<ProxyNetwork> net_;
};

TEST_F(ProxyNetworkTest, DialMapRoutesEveryLinkThroughItsProxy) {
  auto dial = net_->DialMap();
  ASSERT_EQ(dial.size(), 2u);  // worker-1 and worker-2 dial
  ASSERT_EQ(dial["worker-1"].size(), 2u);
  for (const auto& [from, to] : net_->links()) {
    std::string address = dial[from][to];
    EXPECT_NE(address, servers_[to]->address());
    auto fd = ConnectBlocking(address, Deadline::AfterMillis(kWaitMs));
    ASSERT_TRUE(fd.ok());
    std::string echo;
    ASSERT_TRUE(WriteAll(fd->get(), from + "->" + to, Deadline::AfterMillis(kWaitMs)).ok());
    ASSERT_TRUE(
        ReadExactly(fd->get(), from.size() + 2 + to.size(), &echo, Deadline::AfterMillis(kWaitMs))
            .ok());
    EXPECT_EQ(echo, from + "->" + to);
  }
}

TEST_F(ProxyNetworkTest, OverlappingPartitionsAreReferenceCounted) {
  int isolate_w1 = Begin(Fault("partition", {"worker-1"}, json::object()));
  using T = std::set<std::tuple<std::string, std::string, Direction>>;
  T w1_links = {{"worker-1", "coordinator", kFwd},
                {"worker-1", "coordinator", kBwd},
                {"worker-1", "worker-2", kFwd},
                {"worker-1", "worker-2", kBwd}};
  EXPECT_EQ(AllCut(), w1_links);
  // worker-2 cannot send (one-way): overlaps isolate_w1 on worker-1 -> worker-2 backward.
  int w2_mute = Begin(Fault("partition", {"worker-2"}, {{"direction", "one-way"}}));
  T both = w1_links;
  both.insert({"worker-2", "coordinator", kFwd});
  EXPECT_EQ(AllCut(), both);

  ASSERT_TRUE(net_->End(isolate_w1).ok());
  EXPECT_EQ(AllCut(), (T{{"worker-2", "coordinator", kFwd}, {"worker-1", "worker-2", kBwd}}));
  ASSERT_TRUE(net_->End(w2_mute).ok());
  EXPECT_TRUE(AllCut().empty());
  EXPECT_TRUE(net_->End(w2_mute).IsNotFound());
  EXPECT_TRUE(AllHealed());
}

TEST_F(ProxyNetworkTest, NewestDelayWinsAndEndRestoresTheOneBelow) {
  int slow = Begin(Fault("delay", {"worker-2"}, {{"delay_ms", 100}}));
  int slower = Begin(Fault("delay", {"worker-2"}, {{"delay_ms", 200}, {"jitter_ms", 10}}));
  LinkProxy* p = net_->proxy("worker-2", "coordinator");
  EXPECT_EQ(p->faults(kFwd).delay_ms, 200);
  EXPECT_EQ(p->faults(kBwd).jitter_ms, 10);
  EXPECT_EQ(net_->proxy("worker-1", "coordinator")->faults(kFwd).delay_ms, 0);
  ASSERT_TRUE(net_->End(slower).ok());
  EXPECT_EQ(p->faults(kFwd).delay_ms, 100);
  EXPECT_EQ(p->faults(kFwd).jitter_ms, 0);
  int slowest = Begin(Fault("delay", {"worker-2"}, {{"delay_ms", 300}}));
  ASSERT_TRUE(net_->End(slow).ok());  // ending an older fault leaves the newest in place
  EXPECT_EQ(p->faults(kFwd).delay_ms, 300);
  ASSERT_TRUE(net_->End(slowest).ok());
  EXPECT_TRUE(AllHealed());
}

TEST_F(ProxyNetworkTest, OtherKindsReachTheirProxiesAndEndLiftsThem) {
  int bw = Begin(Fault("bandwidth", {"worker-1"}, {{"bytes_per_s", 5000}}));
  int hold = Begin(Fault("barrier-hold", {"coordinator"}, {{"hold_ms", 50}, {"every_k", 2}}));
  int corrupt = Begin(Fault("corrupt", {"coordinator"}, {{"frames", 3}}));
  LinkProxy* w1c = net_->proxy("worker-1", "coordinator");
  EXPECT_EQ(w1c->faults(kBwd).bytes_per_s, 5000);
  EXPECT_EQ(net_->proxy("worker-2", "coordinator")->faults(kFwd).bytes_per_s, 0);
  EXPECT_EQ(w1c->faults(kFwd).hold_ms, 50);
  EXPECT_EQ(w1c->faults(kFwd).every_k, 2);
  EXPECT_EQ(net_->proxy("worker-2", "coordinator")->faults(kFwd).corrupt_frames_left, 3);
  EXPECT_EQ(net_->proxy("worker-1", "worker-2")->faults(kFwd).corrupt_frames_left, 0);
  for (int h : {bw, hold, corrupt}) ASSERT_TRUE(net_->End(h).ok());
  EXPECT_TRUE(AllHealed());
}

TEST_F(ProxyNetworkTest, PartitionHoldsTrafficUntilEnd) {
  auto fd =
      ConnectBlocking(net_->DialMap()["worker-1"]["coordinator"], Deadline::AfterMillis(kWaitMs));
  ASSERT_TRUE(fd.ok());
  int h = Begin(Fault("partition", {"coordinator"}, json::object()));
  ASSERT_TRUE(WriteAll(fd->get(), "ping", Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_FALSE(WaitFor(fd->get(), POLLIN, Deadline::AfterMillis(300)));
  ASSERT_TRUE(net_->End(h).ok());
  std::string echo;
  ASSERT_TRUE(ReadExactly(fd->get(), 4, &echo, Deadline::AfterMillis(kWaitMs)).ok());
  EXPECT_EQ(echo, "ping");
}

TEST_F(ProxyNetworkTest, ResetActsAtBegin) {
  auto fd =
      ConnectBlocking(net_->DialMap()["worker-1"]["worker-2"], Deadline::AfterMillis(kWaitMs));
  ASSERT_TRUE(fd.ok());
  std::string echo;
  ASSERT_TRUE(WriteAll(fd->get(), "hi", Deadline::AfterMillis(kWaitMs)).ok());
  ASSERT_TRUE(ReadExactly(fd->get(), 2, &echo, Deadline::AfterMillis(kWaitMs)).ok());
  int h = Begin(Fault("reset", {"worker-2"}, json::object()));
  std::string rest;
  Status end = ReadToEof(fd->get(), &rest, Deadline::AfterMillis(kWaitMs));
  EXPECT_FALSE(end.IsTimeout()) << end.ToString();
  EXPECT_TRUE(net_->End(h).ok());
}

TEST_F(ProxyNetworkTest, InvalidFaultChangesNothingAndHealAllForgetsHandles) {
  auto bad = net_->Begin(Fault("delay", {"worker-1"}, {{"delay_ms", 5}, {"typo", 1}}), Rng(1));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("typo"), std::string::npos);
  EXPECT_TRUE(AllHealed());

  int h = Begin(Fault("partition", {"worker-2"}, {{"shape", "halves"}}));
  Begin(Fault("delay", {"worker-1"}, {{"delay_ms", 5}}));
  EXPECT_FALSE(AllHealed());
  ASSERT_TRUE(net_->HealAll().ok());
  EXPECT_TRUE(AllHealed());
  EXPECT_TRUE(net_->End(h).IsNotFound());
}

TEST(ProxyNetworkStartTest, EveryDialedNodeNeedsAListenAddress) {
  auto net = ProxyNetwork::Start({{"worker-1", "coordinator"}}, {{"worker-1", "127.0.0.1:1"}});
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(net.status().message().find("coordinator"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults
