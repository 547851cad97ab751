// `faultline run` as a user runs it: a short kill scenario ends valid with a complete history
// and replays the same schedule from its seed; a harness SIGKILLed mid-run leaves no node behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/clock.h"
#include "base/file.h"
#include "base/test_util.h"
#include "tests/scenario_runner.h"

namespace faultline {
namespace {

std::string Scenario(const std::string& source_dir) {
  return source_dir + "/scenarios/kill-worker.json";
}

std::vector<nlohmann::json> ReadHistory(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The fault lines of a history, without their times: what was done to whom, in order.
std::vector<std::string> FaultSchedule(const std::vector<nlohmann::json>& history) {
  std::vector<std::string> out;
  for (const auto& e : history) {
    if (e["type"] == "fault")
      out.push_back(e["fault"].get<std::string>() + " " + e["target"].get<std::string>() + " " +
                    e["phase"].get<std::string>());
  }
  return out;
}

TEST(HarnessRun, KillScenarioIsValidCompleteAndReplays) {
  TempDir dir;
  std::string store = dir.File("store");
  CommandResult r =
      RunCommand(BinPath("faultline") + " run " + Scenario(SourceDir()) + " --store " + store);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::string run = store + "/latest";
  for (const char* f :
       {"scenario.json", "history.jsonl", "results.json", "report.html",
        "nodes/coordinator/events.jsonl", "nodes/worker-1/stderr", "nodes/worker-2/events.jsonl"}) {
    EXPECT_TRUE(PathExists(run + "/" + f)) << f;
  }
  EXPECT_FALSE(PathExists(run + "/data")) << "data of a valid run is removed";
  // The end-of-run summary is the comparison table.
  EXPECT_NE(r.out.find("duplicated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("throughput"), std::string::npos) << r.out;
  auto history = ReadHistory(run + "/history.jsonl");
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0]["type"], "meta");
  EXPECT_EQ(history[0]["seed"], 7);
  std::vector<std::string> phases;
  int inputs = 0, outputs = 0, runtime_events = 0;
  for (const auto& e : history) {
    if (e["type"] == "phase") phases.push_back(e["phase"]);
    inputs += e["type"] == "input";
    outputs += e["type"] == "output";
    runtime_events += e["type"] == "runtime";
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"setup", "generate", "heal", "quiesce", "final-read",
                                              "done"}));
  EXPECT_GT(inputs, 10'000);
  EXPECT_EQ(outputs, inputs);
  EXPECT_GT(runtime_events, 0);
  auto schedule = FaultSchedule(history);
  ASSERT_FALSE(schedule.empty());
  int begins = 0, ends = 0;
  for (const auto& s : schedule) (s.find(" begin") != std::string::npos ? begins : ends)++;
  EXPECT_EQ(begins, ends);

  // The resolved scenario replays the same schedule.
  std::string first_run = run;
  char resolved[4096];
  ssize_t n = ::readlink(run.c_str(), resolved, sizeof(resolved) - 1);
  ASSERT_GT(n, 0);
  resolved[n] = '\0';
  std::string replay_scenario = store + "/" + resolved + "/scenario.json";
  CommandResult again =
      RunCommand(BinPath("faultline") + " run " + replay_scenario + " --store " + store);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(FaultSchedule(ReadHistory(store + "/latest/history.jsonl")), schedule);
}

TEST(HarnessRun, SigkilledHarnessLeavesNoNodeBehind) {
  TempDir dir;
  std::string store = dir.File("store");
  TestProcess harness({BinPath("faultline"), "run", Scenario(SourceDir()), "--store", store},
                      dir.File("harness.log"));
  ASSERT_TRUE(PollUntil([&] { return CountProcessesMentioning(store, "faultline-node") >= 3; },
                        Deadline::AfterMillis(30'000), 50))
      << "the cluster never started";
  ::kill(harness.pid(), SIGKILL);  // the harness only, not its group
  ASSERT_NE(harness.WaitFor(10'000), -1);
  EXPECT_TRUE(PollUntil([&] { return CountProcessesMentioning(store, "faultline-node") == 0; },
                        Deadline::AfterMillis(5000), 50))
      << CountProcessesMentioning(store, "faultline-node")
      << " faultline-node processes outlived the harness";
}

// The netns backend: every node in its own network namespace, partitions cut in the kernel.
// The scenario ends valid, the cut is real (the coordinator loses the isolated worker), and no
// namespace of the run is left behind.
TEST(HarnessRun, NetnsPartitionScenario) {
  TempDir dir;
  std::string store = dir.File("store");
  CommandResult r = RunCommand(BinPath("faultline") + " run " + SourceDir() +
                               "/scenarios/partition-netns.json --duration 8 --store " + store);
  const std::string unavailable = "the netns network backend cannot run here";
  if (r.exit_code == 2 && r.out.find(unavailable) != std::string::npos)
    GTEST_SKIP() << r.out.substr(r.out.find(unavailable));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto history = ReadHistory(store + "/latest/history.jsonl");
  EXPECT_EQ(FaultSchedule(history),
            (std::vector<std::string>{"partition worker-2 begin", "partition worker-2 end",
                                      "partition worker-1 begin", "partition worker-1 end"}));
  bool lost = false;
  for (const auto& e : history)
    lost |= e["type"] == "runtime" && e.value("event", "") == "worker-lost" &&
            e.value("worker", "") == "worker-2";
  EXPECT_TRUE(lost) << "isolating worker-2 did not cut it off from the coordinator";
  CommandResult namespaces = RunCommand("ip netns list");
  EXPECT_EQ(namespaces.out.find("flrn"), std::string::npos) << namespaces.out;
}

}  // namespace
}  // namespace faultline
