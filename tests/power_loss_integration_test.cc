// Power loss through faultfs, end to end: the built-in runtime keeps exactly-once when a worker
// loses power (it fsyncs what it promises), and loses it when its disk lies about fsync; the
// history says what each power cut took back, and the run's files are back in place after.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/scenario_runner.h"

namespace faultline {
namespace {

#define SKIP_WITHOUT_FUSE()                                        \
  if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0) \
  GTEST_SKIP() << "faultfs needs root and /dev/fuse (running as uid " << ::geteuid() << ")"

nlohmann::json PowerLoss(const std::string& name, bool lying_disk) {
  nlohmann::json s = {{"name", name},
                      {"seed", 9},
                      {"duration_s", 6},
                      {"mode", "exactly-once"},
                      {"cluster", {{"workers", 2}, {"faultfs", true}}},
                      {"job", {{"operator", "count"}, {"checkpoint", {{"interval_ms", 500}}}}},
                      {"workload", {{"rate", 2000}, {"keys", 20}}},
                      {"max_active_faults", 2},
                      {"nemesis",
                       {{{"fault", "power-loss"},
                         {"target", "random-worker"},
                         {"every_s", 3},
                         {"start_s", 1.5},
                         {"duration_s", 1}}}}};
  if (lying_disk) {
    s["nemesis"].push_back({{"fault", "fs-error"},
                            {"target", "all-workers"},
                            {"at_s", 0},
                            {"duration_s", 6},
                            {"params", {{"ops", {"fsync"}}, {"errno", "lie"}}}});
  }
  return s;
}

TEST(PowerLoss, TheRuntimeKeepsExactlyOnceWhenAWorkerLosesPower) {
  SKIP_WITHOUT_FUSE();
  ScenarioRunner runner;
  ScenarioRun r = runner.Run(PowerLoss("power-loss", false), "--keep-data");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  int cuts = 0;
  for (const auto& f : HistoryLines(r.run_dir, "fault")) {
    if (f["phase"] != "begin") continue;
    ASSERT_TRUE(f.contains("lost")) << f.dump();
    EXPECT_GT(f["lost"]["writes_undone"].get<int>() + f["lost"]["entries_undone"].get<int>(), 0)
        << "a running worker always has something unsynced: " << f.dump();
    ++cuts;
  }
  EXPECT_EQ(cuts, 2);
  // Unmounted, and the backing directories moved back: the job's files are where they were.
  EXPECT_TRUE(PathExists(JoinPath(r.run_dir, "data/cluster.json")));
  EXPECT_TRUE(PathExists(JoinPath(r.run_dir, "nodes/coordinator/events.jsonl")));
  EXPECT_FALSE(PathExists(JoinPath(r.run_dir, ".faultfs/data")));
  EXPECT_EQ(CountProcessesMentioning(runner.store()), 0);
}

TEST(PowerLoss, ALyingDiskBreaksExactlyOnce) {
  SKIP_WITHOUT_FUSE();
  ScenarioRunner runner;
  ScenarioRun r = runner.Run(PowerLoss("lying-disk", true));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  nlohmann::json results = Results(r.run_dir);
  EXPECT_GT(results["checkers"]["delivery"]["duplicated"].get<int>() +
                results["checkers"]["delivery"]["lost"].get<int>(),
            0)
      << results.dump(2).substr(0, 2000);
}

TEST(PowerLoss, AFsyncThatLiesIsFoundByAPowerLoss) {
  SKIP_WITHOUT_FUSE();
  ScenarioRunner runner;
  nlohmann::json s = PowerLoss("lying-fsync", false);
  // The runtime's own storage failpoint makes every fsync report success and sync nothing.
  s["nemesis"].push_back({{"fault", "disk"},
                          {"target", "all-workers"},
                          {"at_s", 0},
                          {"duration_s", 6},
                          {"params", {{"op", "fsync"}, {"error", "lie"}, {"count", 0}}}});
  ScenarioRun r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  nlohmann::json results = Results(r.run_dir);
  const nlohmann::json& d = results["checkers"]["delivery"];
  const char* kind = d["duplicated"].get<int>() > 0 ? "duplicated" : "lost";
  ASSERT_GT(d[kind].get<int>(), 0) << results.dump(2).substr(0, 2000);
  bool power_loss_in_context = false;
  for (const auto& example : d["examples"][kind]) {
    for (const auto& f : example["faults"]) power_loss_in_context |= f["fault"] == "power-loss";
  }
  EXPECT_TRUE(power_loss_in_context) << d["examples"][kind].dump(2).substr(0, 2000);
}

TEST(PowerLoss, FilesystemFaultsNeedFaultfs) {
  ScenarioRunner runner;
  nlohmann::json s = PowerLoss("no-faultfs", false);
  s["cluster"]["faultfs"] = false;
  ScenarioRun r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("needs faultfs: \"cluster\": {\"faultfs\": true}"), std::string::npos)
      << r.out;
  s["cluster"]["faultfs"] = true;
  s["nemesis"].push_back({{"fault", "fs-error"},
                          {"target", "worker-1"},
                          {"at_s", 1},
                          {"params", {{"pattern", "data/output/*"}}}});
  r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("$.nemesis[1]: params.pattern \"data/output/*\" would match nothing"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace faultline
