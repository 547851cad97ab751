#include "systems/faultline/runtime_cluster.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline::systems {
namespace {

CoordinatorStatus Running(int64_t completed) { return {"running", completed, completed, 0, {}}; }

TEST(QuiescenceTracker, EveryExpectedIdDeliveredIsEnough) {
  QuiescenceTracker q(3, /*expect_every_id=*/true);
  EXPECT_FALSE(q.Observe({100, 99, 99}, Running(1), false));
  EXPECT_TRUE(q.Observe({100, 100, 100}, std::nullopt, false));
}

TEST(QuiescenceTracker, CountsCheckpointsFromTheOneAfterTheLastGrowth) {
  QuiescenceTracker q(2, /*expect_every_id=*/false);
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(5), false));  // growth seen at chk 5: count from 6
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(6), false));
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(7), false));
  EXPECT_TRUE(q.Observe({0, 0, 10}, Running(8), false));
}

TEST(QuiescenceTracker, GrowthOrAnUnhealthyCoordinatorRestartsTheCount) {
  QuiescenceTracker q(1, /*expect_every_id=*/false);
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(1), false));
  EXPECT_FALSE(q.Observe({0, 0, 11}, Running(2), false));  // grew: count from 3
  EXPECT_FALSE(q.Observe({0, 0, 11}, Running(3), false));
  EXPECT_FALSE(q.Observe({0, 0, 11}, std::nullopt, false));  // unreachable
  EXPECT_FALSE(q.Observe({0, 0, 11}, Running(4), false));    // counting again: from 5
  EXPECT_FALSE(q.Observe({0, 0, 11}, CoordinatorStatus{"restoring", 5, 5, 0, {}}, false));
  EXPECT_FALSE(q.Observe({0, 0, 11}, Running(6), false));
  EXPECT_TRUE(q.Observe({0, 0, 11}, Running(8), false));
}

// Output in a transaction commits at the next checkpoint: neither all ids delivered nor many
// checkpoints without growth make the run quiescent while it waits (docs/design.md, "When a
// run is judged").
TEST(QuiescenceTracker, OutputInATransactionHoldsQuiescenceAndRestartsTheCount) {
  QuiescenceTracker every_id(3, /*expect_every_id=*/true);
  EXPECT_FALSE(every_id.Observe({100, 100, 100}, Running(1), /*output_pending=*/true));
  EXPECT_TRUE(every_id.Observe({100, 100, 100}, Running(2), false));

  QuiescenceTracker q(2, /*expect_every_id=*/false);
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(1), false));  // count from 2
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(3), false));
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(4), true));   // would have been quiet
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(5), false));  // committed, nothing new: from 6
  EXPECT_FALSE(q.Observe({0, 0, 10}, Running(7), false));
  EXPECT_TRUE(q.Observe({0, 0, 10}, Running(8), false));
}

TEST(RuntimeCluster, WritesOneConfigWithEveryNodeAndLink) {
  TempDir dir;
  RuntimeClusterOptions o;
  o.data_dir = dir.File("data");
  o.nodes_dir = dir.File("nodes");
  o.workers = 3;
  o.job = {{"parallelism", {{"source", 2}, {"operator", 3}, {"sink", 2}}}};
  o.node_binary = "/bin/true";
  auto cluster = RuntimeCluster::Create(o);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const runtime::ClusterConfig& c = (*cluster)->config();
  EXPECT_EQ(c.workers.size(), 3u);
  EXPECT_EQ(c.workers[0].slots, 4) << "7 tasks over 3 workers, one spare";
  EXPECT_EQ(c.workers[1].data_dir, dir.File("nodes") + "/worker-2");
  EXPECT_EQ(c.input_dir, dir.File("data") + "/input");
  EXPECT_EQ(c.DialAddress("worker-1", "worker-3"), c.workers[2].listen);
  EXPECT_TRUE(PathExists((*cluster)->config_path()));
  EXPECT_EQ((*cluster)->nodes().ids(),
            (std::vector<std::string>{"coordinator", "worker-1", "worker-2", "worker-3"}));
}

TEST(RuntimeCluster, JobErrorsNameTheirOrigin) {
  TempDir dir;
  RuntimeClusterOptions o;
  o.data_dir = dir.File("data");
  o.nodes_dir = dir.File("nodes");
  o.job = {{"operator", "sum"}};
  o.source = "s.json";
  auto cluster = RuntimeCluster::Create(o);
  ASSERT_FALSE(cluster.ok());
  EXPECT_NE(cluster.status().message().find("s.json: $.job.operator"), std::string::npos)
      << cluster.status().ToString();
}

}  // namespace
}  // namespace faultline::systems
