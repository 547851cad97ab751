#include "faults/link_fault.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

namespace faultline::faults {
namespace {

using nlohmann::json;
using Links = std::vector<std::pair<std::string, std::string>>;
using Triple = std::tuple<std::string, std::string, Direction>;

const std::vector<std::string> kNodes = {"coordinator", "worker-1", "worker-2", "worker-3"};
// Workers dial the coordinator; data flows worker-1 -> worker-2 -> worker-3 (the sender dials).
const Links kLinks = {{"worker-1", "coordinator"},
                      {"worker-2", "coordinator"},
                      {"worker-3", "coordinator"},
                      {"worker-1", "worker-2"},
                      {"worker-2", "worker-3"}};
constexpr Direction kFwd = Direction::kForward;
constexpr Direction kBwd = Direction::kBackward;

LinkFault Partition(std::vector<std::string> targets, json params) {
  return LinkFault{.kind = "partition",
                   .targets = std::move(targets),
                   .all_nodes = kNodes,
                   .params = std::move(params)};
}

std::set<Cut> CutsOf(const LinkFault& fault, uint64_t seed = 1) {
  Rng rng(seed);
  auto cuts = PartitionCuts(fault, rng);
  EXPECT_TRUE(cuts.ok()) << cuts.status().ToString();
  return cuts.ok() ? *cuts : std::set<Cut>();
}

std::set<Triple> Plan(const LinkFault& fault, const Links& links = kLinks) {
  Rng rng(1);
  auto actions = PlanLinkFault(fault, links, rng);
  EXPECT_TRUE(actions.ok()) << actions.status().ToString();
  std::set<Triple> out;
  if (!actions.ok()) return out;
  for (const auto& a : *actions) out.insert({a.from, a.to, a.dir});
  return out;
}

// {"shape": "pairs", "pairs": [[a, b], ...]} (spelled out: a braced list of two-string lists
// would become a JSON object).
json PairsParams(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json list = json::array();
  for (const auto& [a, b] : pairs) list.push_back(json::array({a, b}));
  return {{"shape", "pairs"}, {"pairs", list}};
}

// Every ordered pair of distinct nodes.
std::set<Cut> AllPairs(const std::vector<std::string>& nodes) {
  std::set<Cut> out;
  for (const auto& a : nodes) {
    for (const auto& b : nodes) {
      if (a != b) out.insert({a, b});
    }
  }
  return out;
}

TEST(PartitionCutsTest, IsolateCutsTargetFromEveryoneBothWays) {
  std::set<Cut> want = {{"worker-1", "coordinator"}, {"coordinator", "worker-1"},
                        {"worker-1", "worker-2"},    {"worker-2", "worker-1"},
                        {"worker-1", "worker-3"},    {"worker-3", "worker-1"}};
  EXPECT_EQ(CutsOf(Partition({"worker-1"}, json::object())), want);
  EXPECT_EQ(CutsOf(Partition({"worker-1"}, {{"shape", "isolate"}, {"direction", "both"}})), want);
}

TEST(PartitionCutsTest, IsolateOneWayOnlyStopsTheTargetSending) {
  std::set<Cut> want = {
      {"worker-1", "coordinator"}, {"worker-1", "worker-2"}, {"worker-1", "worker-3"}};
  EXPECT_EQ(CutsOf(Partition({"worker-1"}, {{"direction", "one-way"}})), want);
}

TEST(PartitionCutsTest, IsolateTwoTargetsCutsThemFromEachOtherToo) {
  std::set<Cut> cuts = CutsOf(Partition({"worker-1", "worker-2"}, json::object()));
  std::set<Cut> want = AllPairs(kNodes);
  want.erase({"coordinator", "worker-3"});
  want.erase({"worker-3", "coordinator"});
  EXPECT_EQ(cuts, want);
}

TEST(PartitionCutsTest, HalvesCutsTargetsFromTheRest) {
  std::set<Cut> want = {{"coordinator", "worker-2"}, {"worker-2", "coordinator"},
                        {"coordinator", "worker-3"}, {"worker-3", "coordinator"},
                        {"worker-1", "worker-2"},    {"worker-2", "worker-1"},
                        {"worker-1", "worker-3"},    {"worker-3", "worker-1"}};
  EXPECT_EQ(CutsOf(Partition({"coordinator", "worker-1"}, {{"shape", "halves"}})), want);
  std::set<Cut> one_way;
  for (const auto& c : want) {
    if (c.from == "coordinator" || c.from == "worker-1") one_way.insert(c);
  }
  EXPECT_EQ(CutsOf(Partition({"coordinator", "worker-1"},
                             {{"shape", "halves"}, {"direction", "one-way"}})),
            one_way);
}

TEST(PartitionCutsTest, BridgeNodeSeesBothHalvesWhichAreCutFromEachOther) {
  std::vector<std::string> nodes = {"a", "b", "c", "d", "e"};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    LinkFault f{
        .kind = "partition", .targets = {"c"}, .all_nodes = nodes, .params = {{"shape", "bridge"}}};
    std::set<Cut> cuts = CutsOf(f, seed);
    // Uncut neighbours of each node, as an undirected graph (cuts are symmetric).
    std::map<std::string, std::set<std::string>> sees;
    for (const auto& c : AllPairs(nodes)) {
      if (cuts.count(c) == 0) {
        sees[c.from].insert(c.to);
        EXPECT_EQ(cuts.count({c.to, c.from}), 0u);
      }
    }
    EXPECT_EQ(sees["c"].size(), 4u) << "the bridge sees everyone";
    EXPECT_EQ(cuts.size(), 2u * 2u * 2u) << "two halves of two, cut both ways";
    for (const auto& n : nodes) {
      if (n == "c") continue;
      EXPECT_EQ(sees[n].size(), 2u) << n << ": its half-mate and the bridge";
    }
    EXPECT_EQ(cuts, CutsOf(f, seed)) << "the same seed gives the same halves";
  }
}

TEST(PartitionCutsTest, RingLeavesEachNodeExactlyItsTwoNeighbours) {
  std::vector<std::string> nodes = {"a", "b", "c", "d", "e", "f"};
  std::set<std::set<Cut>> distinct;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    LinkFault f{
        .kind = "partition", .targets = {}, .all_nodes = nodes, .params = {{"shape", "ring"}}};
    std::set<Cut> cuts = CutsOf(f, seed);
    distinct.insert(cuts);
    std::map<std::string, std::set<std::string>> sees;
    for (const auto& c : AllPairs(nodes)) {
      if (cuts.count(c) == 0) sees[c.from].insert(c.to);
    }
    // Walking from "a" along uncut links visits every node once and returns: one cycle.
    std::string prev;
    std::string at = "a";
    std::set<std::string> visited;
    for (size_t step = 0; step < nodes.size(); ++step) {
      ASSERT_EQ(sees[at].size(), 2u) << at;
      visited.insert(at);
      std::string next = *sees[at].begin() != prev ? *sees[at].begin() : *sees[at].rbegin();
      prev = at;
      at = next;
    }
    EXPECT_EQ(at, "a");
    EXPECT_EQ(visited.size(), nodes.size());
    // One-way keeps exactly one direction of every cut pair.
    f.params["direction"] = "one-way";
    std::set<Cut> one_way = CutsOf(f, seed);
    EXPECT_EQ(one_way.size() * 2, cuts.size());
    for (const auto& c : one_way) EXPECT_EQ(one_way.count({c.to, c.from}), 0u);
  }
  EXPECT_GT(distinct.size(), 1u) << "the ring order comes from the seed";
}

TEST(PartitionCutsTest, PairsCutExactlyThePairs) {
  json params = PairsParams({{"worker-1", "worker-2"}, {"coordinator", "worker-3"}});
  std::set<Cut> want = {{"worker-1", "worker-2"},
                        {"worker-2", "worker-1"},
                        {"coordinator", "worker-3"},
                        {"worker-3", "coordinator"}};
  EXPECT_EQ(CutsOf(Partition({}, params)), want);
  params["direction"] = "one-way";
  EXPECT_EQ(CutsOf(Partition({}, params)),
            (std::set<Cut>{{"worker-1", "worker-2"}, {"coordinator", "worker-3"}}));
}

TEST(PlanLinkFaultTest, PartitionMapsCutsToProxyDirections) {
  // worker-2 isolated both ways: every direction of every link that touches it.
  std::set<Triple> want = {{"worker-2", "coordinator", kFwd}, {"worker-2", "coordinator", kBwd},
                           {"worker-1", "worker-2", kFwd},    {"worker-1", "worker-2", kBwd},
                           {"worker-2", "worker-3", kFwd},    {"worker-2", "worker-3", kBwd}};
  EXPECT_EQ(Plan(Partition({"worker-2"}, json::object())), want);
  // One-way: worker-2 cannot send. On links it dials that is forward, on links dialled to it
  // (worker-1 -> worker-2) it is the backward direction.
  std::set<Triple> one_way = {{"worker-2", "coordinator", kFwd},
                              {"worker-1", "worker-2", kBwd},
                              {"worker-2", "worker-3", kFwd}};
  EXPECT_EQ(Plan(Partition({"worker-2"}, {{"direction", "one-way"}})), one_way);
  // A cut with no link carrying it changes nothing.
  EXPECT_EQ(Plan(Partition({}, PairsParams({{"worker-1", "worker-3"}}))), std::set<Triple>());
}

TEST(PlanLinkFaultTest, OtherKindsPickTheirLinks) {
  auto fault = [](std::string kind, json params) {
    return LinkFault{.kind = std::move(kind),
                     .targets = {"worker-2"},
                     .all_nodes = kNodes,
                     .params = std::move(params)};
  };
  std::set<Triple> touching = {{"worker-2", "coordinator", kFwd}, {"worker-2", "coordinator", kBwd},
                               {"worker-1", "worker-2", kFwd},    {"worker-1", "worker-2", kBwd},
                               {"worker-2", "worker-3", kFwd},    {"worker-2", "worker-3", kBwd}};
  EXPECT_EQ(Plan(fault("delay", {{"delay_ms", 50}, {"jitter_ms", 5}})), touching);
  EXPECT_EQ(Plan(fault("bandwidth", {{"bytes_per_s", 1000}})), touching);
  EXPECT_EQ(Plan(fault("reset", json::object())),
            (std::set<Triple>{{"worker-2", "coordinator", kFwd},
                              {"worker-1", "worker-2", kFwd},
                              {"worker-2", "worker-3", kFwd}}));
  EXPECT_EQ(Plan(fault("barrier-hold", {{"hold_ms", 100}, {"every_k", 2}})),
            (std::set<Triple>{{"worker-1", "worker-2", kFwd}}));
  EXPECT_EQ(Plan(fault("corrupt", {{"frames", 2}})),
            (std::set<Triple>{{"worker-1", "worker-2", kFwd},
                              {"worker-2", "coordinator", kBwd},
                              {"worker-2", "worker-3", kBwd}}));
}

TEST(PlanLinkFaultTest, ParamsAreCarriedIntoActions) {
  LinkFault f{.kind = "barrier-hold",
              .targets = {"worker-2"},
              .all_nodes = kNodes,
              .params = {{"hold_ms", 250}, {"every_k", 3}, {"from_id", 7}}};
  Rng rng(3);
  auto actions = PlanLinkFault(f, kLinks, rng);
  ASSERT_TRUE(actions.ok());
  ASSERT_EQ(actions->size(), 1u);
  EXPECT_EQ((*actions)[0].kind, LinkAction::Kind::kBarrierHold);
  EXPECT_EQ((*actions)[0].hold_ms, 250);
  EXPECT_EQ((*actions)[0].every_k, 3);
  EXPECT_EQ((*actions)[0].from_id, 7);
}

TEST(PlanLinkFaultTest, InvalidFaultsNameWhatIsWrong) {
  auto error = [](LinkFault f) {
    Rng rng(1);
    auto r = PlanLinkFault(f, kLinks, rng);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    return r.status().message();
  };
  auto with = [](std::string kind, json params, std::vector<std::string> targets = {"worker-1"}) {
    return LinkFault{.kind = std::move(kind),
                     .targets = std::move(targets),
                     .all_nodes = kNodes,
                     .params = std::move(params)};
  };
  EXPECT_NE(error(with("delay", {{"delay_ms", 5}, {"jiter_ms", 1}})).find("jiter_ms"),
            std::string::npos);
  EXPECT_NE(error(with("partition", {{"shap", "ring"}})).find("shap"), std::string::npos);
  EXPECT_NE(error(with("partition", {{"shape", "ring"}, {"pairs", json::array()}})).find("pairs"),
            std::string::npos);
  EXPECT_NE(error(with("partition", {{"shape", "square"}})).find("square"), std::string::npos);
  EXPECT_NE(error(with("delay", json::object())).find("delay_ms"), std::string::npos);
  EXPECT_NE(error(with("flood", json::object())).find("flood"), std::string::npos);
  EXPECT_NE(error(with("reset", json::object(), {"worker-9"})).find("worker-9"), std::string::npos);
  EXPECT_NE(error(with("reset", json::object(), {})).find("target"), std::string::npos);
  EXPECT_NE(
      error(with("partition", {{"shape", "pairs"}, {"pairs", json::array({json::array({"w"})})}}))
          .find("pairs"),
      std::string::npos);
  EXPECT_NE(error(with("bandwidth", {{"bytes_per_s", 0}})).find("bytes_per_s"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults
