// The harness against a System of the test's own: real node processes, an in-memory pipeline
// behind the client and the reader, sends that end ok, fail or unknown, nodes that do not
// start, and faults that do or do not take effect.
#include "harness/run.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/file.h"
#include "base/test_util.h"
#include "harness/fake_system.h"
#include "systems/network.h"
#include "systems/node_set.h"

namespace faultline::harness {
namespace {

class FakeSystemRun : public ::testing::Test {
 protected:
  // Runs `scenario_json` (a scenario without its name and mode) against a FakeSystem.
  Result<std::vector<RunOutcome>> Run(const nlohmann::json& scenario_json, FakeOptions fake = {}) {
    nlohmann::json j = scenario_json;
    j["name"] = "fake";
    j["mode"] = "exactly-once";
    if (!j.contains("duration_s")) j["duration_s"] = 1;
    if (!j.contains("workload")) j["workload"] = {{"rate", 400}, {"keys", 5}};
    j["quiesce"] = {{"timeout_s", 10}};
    auto scenario = ParseScenario(j.dump(), "fake.json");
    if (!scenario.ok()) return scenario.status();
    RunOptions options;
    options.store_dir = store_.path();
    options.scenario_path = "fake.json";
    options.make_system = [fake](const Scenario&) -> Result<std::unique_ptr<systems::System>> {
      return MakeFakeSystem(fake);
    };
    return RunScenario(*scenario, options);
  }

  // The history's lines of `type`.
  static std::vector<nlohmann::json> Lines(const RunOutcome& o, const std::string& type) {
    std::vector<nlohmann::json> out;
    auto text = ReadFileToString(JoinPath(o.run_dir, "history.jsonl"));
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    std::istringstream in(text.ok() ? *text : "");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j.value("type", "") == type) out.push_back(std::move(j));
    }
    return out;
  }

  static nlohmann::json Results(const RunOutcome& o) {
    auto text = ReadFileToString(JoinPath(o.run_dir, "results.json"));
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return nlohmann::json::parse(text.ok() ? *text : "{}");
  }

  TempDir store_;
};

TEST_F(FakeSystemRun, SendsEndingUnknownOrFailAreNotLost) {
  auto outcomes = Run(nlohmann::json::object());
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 1u);
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kValid) << o.summary;
  std::map<std::string, int> statuses;
  for (const auto& in : Lines(o, "input")) {
    ++statuses[in.value("status", "?")];
    EXPECT_GE(in["ack_t"].get<int64_t>(), in["t"].get<int64_t>()) << in.dump();
  }
  EXPECT_GT(statuses["ok"], 100);
  EXPECT_GT(statuses["unknown"], 20);
  EXPECT_GT(statuses["fail"], 5);
  EXPECT_EQ(statuses.size(), 3u);
  nlohmann::json results = Results(o);
  EXPECT_EQ(results["checkers"]["delivery"]["lost"], 0) << results.dump(2);
  EXPECT_FALSE(results["checkers"]["state"]["applicable"].get<bool>());
  auto meta = Lines(o, "meta");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0]["system"], "fake");
  EXPECT_EQ(meta[0]["job"], "delivery");
}

TEST_F(FakeSystemRun, AnAcknowledgedSendNeverDeliveredIsLost) {
  auto outcomes =
      Run(nlohmann::json::object(), {.lost_id = 12});  // 12 % 5 != 1 and 12 % 7 != 3: an ok send
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kInvalid) << o.summary;
  nlohmann::json results = Results(o);
  EXPECT_EQ(results["checkers"]["delivery"]["lost"], 1) << results.dump(2);
  EXPECT_EQ(results["checkers"]["delivery"]["examples"]["lost"][0]["id"], 12);
}

TEST_F(FakeSystemRun, AClientThatBreaksMakesTheRunUnknownAndSaysWhy) {
  auto outcomes = Run(nlohmann::json::object(), {.broken_id = 100});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kUnknown) << o.summary;
  nlohmann::json results = Results(o);
  ASSERT_EQ(results["unknown_reasons"].size(), 1u) << results.dump(2);
  EXPECT_NE(results["unknown_reasons"][0].get<std::string>().find("the adapter said"),
            std::string::npos)
      << results.dump(2);
  EXPECT_LT(Lines(o, "input").size(), 200u) << "generation stops when the client breaks";
}

TEST_F(FakeSystemRun, ASystemThatHaltsMakesTheRunUnknownAndSaysWhy) {
  auto outcomes = Run(nlohmann::json::object(), {.halted = "the job failed: chk-3 is unreadable"});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kUnknown) << o.summary;
  nlohmann::json results = Results(o);
  ASSERT_EQ(results["unknown_reasons"].size(), 1u) << results.dump(2);
  EXPECT_NE(results["unknown_reasons"][0].get<std::string>().find(
                "the system halted: the job failed: chk-3 is unreadable"),
            std::string::npos)
      << results.dump(2);
  for (const auto& phase : Lines(o, "phase")) EXPECT_NE(phase["phase"], "final-read");
}

TEST_F(FakeSystemRun, CommittedOutputTakenBackIsRetractedAndLost) {
  auto outcomes = Run(nlohmann::json::object(), {.retracted_id = 12});  // an ok send
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kInvalid) << o.summary;
  auto retractions = Lines(o, "retraction");
  ASSERT_EQ(retractions.size(), 1u);
  EXPECT_EQ(retractions[0]["source"], "fake-retracted");
  EXPECT_EQ(retractions[0]["kept"], 0);
  nlohmann::json results = Results(o);
  EXPECT_EQ(results["checkers"]["visibility"]["retracted"], 1) << results.dump(2);
  EXPECT_EQ(results["checkers"]["visibility"]["examples"]["retracted"][0]["id"], 12);
  EXPECT_EQ(results["checkers"]["delivery"]["lost"], 1) << results.dump(2);
}

TEST_F(FakeSystemRun, ANodeThatCannotStartIsAHarnessError) {
  auto outcomes = Run(nlohmann::json::object(), {.node_argv = {"/nonexistent/fake-node"}});
  ASSERT_FALSE(outcomes.ok());
  EXPECT_NE(outcomes.status().message().find("server-1"), std::string::npos)
      << outcomes.status().ToString();
}

TEST_F(FakeSystemRun, ANodeThatExitsAtOnceIsAHarnessErrorNamingItsLog) {
  auto outcomes =
      Run(nlohmann::json::object(),
          {.node_argv = {"/bin/sh", "-c", "echo no config >&2; exit 3"}, .never_ready = true});
  ASSERT_FALSE(outcomes.ok());
  const std::string& message = outcomes.status().message();
  EXPECT_NE(message.find("exited with code 3"), std::string::npos) << message;
  EXPECT_NE(message.find("/nodes/server-"), std::string::npos) << message;
  EXPECT_NE(message.find("stderr"), std::string::npos) << message;
}

TEST_F(FakeSystemRun, AFaultIsRecordedOnlyOnceItTookEffect) {
  // server-2 is killed for good at 0.2 s; pausing it at 0.5 s cannot take effect.
  auto outcomes = Run(nlohmann::json::parse(R"({
      "nemesis": [
        {"fault": "kill", "target": "server-2", "at_s": 0.2, "duration_s": 0.1,
         "params": {"restart": false}},
        {"fault": "pause", "target": "role:server:all", "at_s": 0.5}
      ],
      "max_active_faults": 2})"));
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  std::vector<std::string> edges;
  for (const auto& f : Lines(o, "fault")) {
    edges.push_back(f["fault"].get<std::string>() + " " + f["target"].get<std::string>() + " " +
                    f["phase"].get<std::string>());
  }
  EXPECT_EQ(edges, (std::vector<std::string>{"kill server-2 begin", "kill server-2 end",
                                             "pause server-1 begin", "pause server-2 failed",
                                             "pause server-1 end"}));
  nlohmann::json failed = Results(o)["failed_faults"];
  ASSERT_EQ(failed.size(), 1u) << failed.dump();
  EXPECT_EQ(failed[0]["target"], "server-2");
  // The run still ends valid: the harness restarted server-2 at the heal.
  EXPECT_EQ(o.verdict, checkers::Verdict::kValid) << o.summary;
}

TEST_F(FakeSystemRun, FaultsThatReadRuntimeFramesAreRefusedOnOtherSystems) {
  auto outcomes = Run(nlohmann::json::parse(R"({
      "cluster": {"network": "proxy"},
      "nemesis": [{"fault": "barrier-hold", "target": "server-1", "at_s": 0.2,
                   "params": {"hold_ms": 100}}]})"));
  ASSERT_FALSE(outcomes.ok());
  EXPECT_NE(outcomes.status().message().find("$.nemesis[0]"), std::string::npos)
      << outcomes.status().ToString();
  EXPECT_NE(outcomes.status().message().find("runtime's frames"), std::string::npos)
      << outcomes.status().ToString();
}

TEST_F(FakeSystemRun, TargetsNamingNoNodeAreRefused) {
  auto outcomes = Run(nlohmann::json::parse(
      R"({"nemesis": [{"fault": "kill", "target": "role:broker", "at_s": 0.2}]})"));
  ASSERT_FALSE(outcomes.ok());
  EXPECT_NE(outcomes.status().message().find("no node has role 'broker'"), std::string::npos)
      << outcomes.status().ToString();
}

}  // namespace
}  // namespace faultline::harness
