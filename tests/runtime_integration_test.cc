// The runtime as a user runs it: a coordinator and two workers as real processes on loopback,
// 50k records produced into the input log, a process killed with SIGKILL mid-stream and
// restarted, and the committed output read back and judged against the mode's promise.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "tests/runtime_cluster.h"

namespace faultline {
namespace {

class KillWorker : public ::testing::TestWithParam<std::string> {};

TEST_P(KillWorker, MidStreamAndRestart) {
  const std::string mode = GetParam();
  Cluster c(mode);
  c.StartCoordinator();
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  c.AwaitOutput(10'000);
  c.Kill("worker-1");
  c.StartWorker(1);
  ASSERT_NE(producer->WaitFor(60'000), -1);
  Output out = c.AwaitQuiescence(kRecords);
  EXPECT_NE(c.Events("coordinator").find("\"restore\""), std::string::npos)
      << "the job never restored from a checkpoint";
  if (mode == "exactly-once") {
    ExpectExactlyOnce(out);
  } else if (mode == "at-least-once") {
    for (int id = 0; id < kRecords; ++id) ASSERT_GE(out.copies[id], 1) << "id " << id << " lost";
  } else {
    for (const auto& [id, n] : out.copies) ASSERT_EQ(n, 1) << "id " << id << " duplicated";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, KillWorker,
                         ::testing::Values("exactly-once", "at-least-once", "at-most-once"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ExactlyOnce, CoordinatorKilledAndRestarted) {
  Cluster c("exactly-once");
  c.StartCoordinator();
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  c.AwaitOutput(10'000);
  c.Kill("coordinator");
  c.StartCoordinator();
  ASSERT_NE(producer->WaitFor(60'000), -1);
  ExpectExactlyOnce(c.AwaitQuiescence(kRecords));
}

TEST(ExactlyOnce, CrashBetweenPreCommitAndCommit) {
  Cluster c("exactly-once");
  c.StartCoordinator();
  // worker-1 hosts sink-0: it dies at its first commit, after the pre-commit.
  c.StartWorker(1, {"FAULTLINE_FAILPOINTS=sink.commit.before_rename=1*crash"});
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  auto exit = c.AwaitExit("worker-1", 60'000);
  ASSERT_TRUE(exit && exit->signalled && exit->code == SIGKILL) << "the failpoint never fired";
  c.StartWorker(1);
  ASSERT_NE(producer->WaitFor(60'000), -1);
  ExpectExactlyOnce(c.AwaitQuiescence(kRecords));
}

TEST(ExactlyOnce, CoordinatorCrashAfterMetadataBeforeNotify) {
  Cluster c("exactly-once");
  c.StartCoordinator(
      {"FAULTLINE_FAILPOINTS=coordinator.checkpoint.after_metadata_before_notify=1*crash"});
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  auto exit = c.AwaitExit("coordinator", 60'000);
  ASSERT_TRUE(exit && exit->signalled) << "the failpoint never fired";
  c.StartCoordinator();
  ASSERT_NE(producer->WaitFor(60'000), -1);
  ExpectExactlyOnce(c.AwaitQuiescence(kRecords));
  EXPECT_NE(c.Events("worker-1").find("\"on_restore\":true") +
                c.Events("worker-2").find("\"on_restore\":true"),
            2 * std::string::npos)
      << "no sink committed its pre-committed transaction on restore";
}

}  // namespace
}  // namespace faultline
