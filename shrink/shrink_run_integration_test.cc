// `faultline shrink` end to end against a System of the test's own (real node processes): a
// planted bug that one fault reveals (ok sends are lost while server-1 is paused), hidden
// among faults the system survives, is shrunk to that fault; the shrink resumes from its log
// without running again; and runs that cannot be shrunk are refused with the reason.
#include <gtest/gtest.h>

#include "base/file.h"
#include "base/json.h"
#include "base/test_util.h"
#include "harness/fake_system.h"
#include "harness/run.h"
#include "shrink/shrink_run.h"

namespace faultline::shrink {
namespace {

using harness::FakeOptions;

class ShrinkRunTest : public ::testing::Test {
 protected:
  // The run directory of one fake run of `nemesis` (exactly-once, 3 s).
  std::string RunFake(const nlohmann::json& nemesis, FakeOptions fake,
                      const nlohmann::json& modes = "exactly-once") {
    nlohmann::json j = {{"name", "fake"},
                        {"seed", 5},
                        {"mode", modes},
                        {"duration_s", 3},
                        {"workload", {{"rate", 300}, {"keys", 5}}},
                        {"quiesce", {{"timeout_s", 10}}},
                        {"nemesis", nemesis}};
    auto scenario = harness::ParseScenario(j.dump(), "fake.json");
    EXPECT_TRUE(scenario.ok()) << scenario.status().ToString();
    harness::RunOptions options;
    options.store_dir = store_.path();
    options.scenario_path = "fake.json";
    options.make_system = MakeSystem(fake);
    auto outcomes = harness::RunScenario(*scenario, options);
    EXPECT_TRUE(outcomes.ok()) << outcomes.status().ToString();
    if (!outcomes.ok()) return "";
    return modes.is_array() ? DirName(outcomes->front().run_dir) : outcomes->front().run_dir;
  }

  static std::function<Result<std::unique_ptr<systems::System>>(const harness::Scenario&)>
  MakeSystem(FakeOptions fake) {
    return [fake](const harness::Scenario&) { return harness::MakeFakeSystem(fake); };
  }

  static nlohmann::json Fault(const char* kind, const char* target, double at, double d) {
    return {{"fault", kind}, {"target", target}, {"at_s", at}, {"duration_s", d}};
  }

  TempDir store_;
};

TEST_F(ShrinkRunTest, FindsTheOneFaultThatRevealsTheBugAndResumesFromItsLog) {
  FakeOptions buggy;
  buggy.lose_while_paused = "server-1";
  const nlohmann::json nemesis = {
      Fault("pause", "server-2", 0.2, 0.2), Fault("kill", "server-2", 0.5, 0.2),
      Fault("pause", "server-1", 0.9, 0.3), Fault("pause", "server-2", 1.3, 0.2),
      Fault("restart", "server-2", 1.6, 0)};
  const std::string run = RunFake(nemesis, buggy);
  ASSERT_FALSE(run.empty());
  auto plan = ReadJsonFile(JoinPath(run, "plan.json"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ((*plan)["faults"].size(), 5u) << plan->dump(2);

  ShrinkRequest request;
  request.run_dir = run;
  request.budget = 30;
  request.tries = 1;
  request.quiet = true;
  request.make_system = MakeSystem(buggy);
  auto summary = ShrinkRun(request);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->original_faults, 5);
  EXPECT_EQ(summary->minimal_faults, 1);
  EXPECT_LE(summary->tries_used, 30);
  EXPECT_LT(summary->minimal_duration_s, 3.0);

  auto minimal = harness::LoadScenario(summary->minimal_path);
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString();
  ASSERT_TRUE(minimal->plan.has_value());
  ASSERT_EQ(minimal->plan->size(), 1u);
  EXPECT_EQ((*minimal->plan)[0].fault, "pause");
  EXPECT_EQ((*minimal->plan)[0].targets, std::vector<std::string>{"server-1"});
  EXPECT_TRUE(minimal->nemesis.empty());

  auto report = ReadFileToString(JoinPath(run, "report.html"));
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->find("<h2>Shrink</h2>"), std::string::npos);
  EXPECT_NE(report->find("<h2>Fault plan</h2>"), std::string::npos);

  // Run again: every candidate is in shrink.json, so nothing runs and the result is the same.
  auto first = ReadFileToString(summary->minimal_path);
  ASSERT_TRUE(first.ok());
  auto resumed = ShrinkRun(request);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->tries_used, summary->tries_used);
  EXPECT_EQ(resumed->minimal_faults, 1);
  auto again = ReadFileToString(summary->minimal_path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);

  // The minimal scenario replays the failure.
  harness::RunOptions options;
  options.store_dir = JoinPath(store_.path(), "replay");
  options.make_system = MakeSystem(buggy);
  auto replay = harness::RunScenario(*minimal, options);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ(replay->front().verdict, checkers::Verdict::kInvalid);
}

TEST_F(ShrinkRunTest, RefusesRunsThatCannotBeShrunk) {
  auto refused = [](const std::string& dir, int budget = 5) {
    ShrinkRequest request;
    request.run_dir = dir;
    request.budget = budget;
    request.quiet = true;
    auto s = ShrinkRun(request);
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(s.status().code() == Status::Code::kInvalidArgument) << s.status().ToString();
    return s.status().message();
  };
  const nlohmann::json one = {Fault("pause", "server-2", 0.2, 0.2)};
  const std::string valid = RunFake(one, {});
  EXPECT_NE(refused(valid).find("$.valid: the run is valid"), std::string::npos);

  FakeOptions lossy;
  lossy.lost_id = 12;
  const std::string invalid = RunFake(one, lossy);
  EXPECT_NE(refused(invalid, 0).find("--budget: expected at least 1"), std::string::npos);

  const std::string plan = JoinPath(invalid, "plan.json");
  auto text = ReadFileToString(plan);
  ASSERT_TRUE(text.ok());
  nlohmann::json old = nlohmann::json::parse(*text);
  old["faultline_version"] = "0.0.1";
  ASSERT_TRUE(WriteFileAtomic(plan, old.dump()).ok());
  EXPECT_NE(refused(invalid).find("plan.json: $.faultline_version: stored by faultline \"0.0.1\""),
            std::string::npos);
  ASSERT_TRUE(RemoveAll(plan).ok());
  EXPECT_NE(refused(invalid).find("plan.json: missing"), std::string::npos);

  const std::string both = RunFake(one, lossy, {"at-least-once", "exactly-once"});
  EXPECT_NE(refused(both).find("a run of several modes"), std::string::npos);
  EXPECT_NE(refused(JoinPath(store_.path(), "nothing")).find("no such run directory"),
            std::string::npos);
}

}  // namespace
}  // namespace faultline::shrink
