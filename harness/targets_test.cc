#include "harness/targets.h"

#include <gtest/gtest.h>

#include <set>

namespace faultline::harness {
namespace {

using systems::NodeSpec;
using Ids = std::vector<std::string>;

const std::vector<NodeSpec> kRuntime = {{"coordinator", "coordinator"},
                                        {"worker-1", "worker"},
                                        {"worker-2", "worker"},
                                        {"worker-3", "worker"}};

Ids Resolve(const std::string& target, uint64_t seed = 1) {
  Rng rng(seed);
  auto ids = ResolveTargets(target, kRuntime, rng);
  EXPECT_TRUE(ids.ok()) << ids.status().ToString();
  return ids.ok() ? *ids : Ids{};
}

std::string Error(const std::string& target, const std::vector<NodeSpec>& nodes = kRuntime) {
  Rng rng(1);
  auto ids = ResolveTargets(target, nodes, rng);
  EXPECT_FALSE(ids.ok()) << target;
  return ids.ok() ? "" : ids.status().message();
}

TEST(ResolveTargets, NodeIdsAndWholeRoles) {
  EXPECT_EQ(Resolve("worker-2"), Ids{"worker-2"});
  EXPECT_EQ(Resolve("coordinator"), Ids{"coordinator"});
  EXPECT_EQ(Resolve("role:worker"), (Ids{"worker-1", "worker-2", "worker-3"}));
  EXPECT_EQ(Resolve("role:worker:all"), Resolve("role:worker"));
  EXPECT_EQ(Resolve("all-workers"), Resolve("role:worker"));
  EXPECT_EQ(Resolve("role:coordinator"), Ids{"coordinator"});
}

TEST(ResolveTargets, QuantitiesOfARole) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Ids one = Resolve("role:worker:one", seed);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].rfind("worker-", 0), 0u);
    EXPECT_EQ(Resolve("random-worker", seed), one) << "the runtime's name is role:worker:one";
    EXPECT_EQ(Resolve("role:worker:majority", seed).size(), 2u);
    EXPECT_EQ(Resolve("role:worker:minority", seed).size(), 1u);
    size_t subset = Resolve("role:worker:random-subset", seed).size();
    EXPECT_GE(subset, 1u);
    EXPECT_LE(subset, 3u);
    // Over every node, the coordinator included.
    EXPECT_EQ(Resolve("majority", seed).size(), 3u);
    EXPECT_EQ(Resolve("minority", seed).size(), 1u);
  }
}

TEST(ResolveTargets, TheSeedDecidesThePick) {
  std::set<std::string> picked;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    EXPECT_EQ(Resolve("role:worker:one", seed), Resolve("role:worker:one", seed));
    picked.insert(Resolve("role:worker:one", seed)[0]);
  }
  EXPECT_EQ(picked.size(), 3u) << "every worker is picked by some seed";
}

TEST(ResolveTargets, ErrorsNameTheNodesAndRoles) {
  EXPECT_NE(Error("worker-9").find("the nodes are coordinator, worker-1, worker-2, worker-3"),
            std::string::npos);
  EXPECT_NE(Error("role:broker").find("no node has role 'broker'"), std::string::npos);
  EXPECT_NE(Error("role:worker:most").find("role:worker:one|minority|majority"), std::string::npos);
  EXPECT_NE(Error("random-worker", {{"broker", "server"}}).find("selects no node"),
            std::string::npos);
  EXPECT_NE(Error("minority", {{"a", "server"}, {"b", "server"}}).find("selects no node"),
            std::string::npos);
}

}  // namespace
}  // namespace faultline::harness
