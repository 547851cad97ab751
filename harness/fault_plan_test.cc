// A fixed plan in a scenario: parsed, checked against the plan rule, round-tripped.
#include "harness/fault_plan.h"

#include <gtest/gtest.h>

#include "harness/scenario.h"

namespace faultline::harness {
namespace {

std::string WithPlan(const std::string& plan, const std::string& extra = "") {
  return R"({"name": "p", "seed": 1, "duration_s": 10, "mode": "exactly-once",)" + extra +
         R"("plan": )" + plan + "}";
}

TEST(FixedPlan, ParsesSortedAndRoundTripsThroughTheScenario) {
  auto s = ParseScenario(WithPlan(R"([
      {"key": "b", "fault": "pause", "targets": ["worker-2"], "begin_s": 4, "end_s": 5},
      {"fault": "kill", "targets": ["worker-1"], "begin_s": 1, "end_s": 2.5,
       "params": {"restart": true}}])"),
                         "p.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(s->plan.has_value());
  ASSERT_EQ(s->plan->size(), 2u);
  EXPECT_EQ((*s->plan)[0].key, "plan-1") << "a key defaults to the fault's index in the file";
  EXPECT_EQ((*s->plan)[0].fault, "kill");
  EXPECT_EQ((*s->plan)[0].id, 0);
  EXPECT_EQ((*s->plan)[1].key, "b");
  EXPECT_EQ((*s->plan)[1].origin, "$.plan[0]");
  nlohmann::json j = s->ToJson();
  EXPECT_FALSE(j.contains("nemesis"));
  auto again = ParseScenario(j.dump(), "again.json");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), j);
}

TEST(FixedPlan, ExcludesANemesis) {
  auto s = ParseScenario(
      WithPlan("[]", R"("nemesis": [{"fault": "kill", "target": "worker-1", "at_s": 1}],)"),
      "p.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("p.json: $.plan: a scenario has either a nemesis"),
            std::string::npos)
      << s.status().ToString();
}

TEST(FixedPlan, BadFaultsNameTheirJsonPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([{"fault": "kill", "targets": [], "begin_s": 1, "end_s": 2}])",
       "$.plan[0].targets: expected at least one node id"},
      {R"([{"fault": "kill", "targets": ["worker-1"], "begin_s": 10, "end_s": 11}])",
       "$.plan[0].begin_s: expected seconds in [0, duration_s"},
      {R"([{"fault": "kill", "targets": ["worker-1"], "begin_s": 2, "end_s": 1}])",
       "$.plan[0].end_s: expected a number >= begin_s"},
      {R"([{"fault": "explode", "targets": ["worker-1"], "begin_s": 1, "end_s": 2}])",
       "$.plan[0].fault"},
      {R"([{"fault": "kill", "targets": ["worker-1"], "begin_s": 1, "end_s": 2, "x": 1}])",
       "$.plan[0].x"},
      {R"([{"key": "a", "fault": "kill", "targets": ["worker-1"], "begin_s": 1, "end_s": 2},
           {"key": "a", "fault": "kill", "targets": ["worker-2"], "begin_s": 3, "end_s": 4}])",
       "$.plan[1].key: \"a\" is used twice"},
      {R"([{"fault": "kill", "targets": ["worker-1"], "begin_s": 1, "end_s": 3},
           {"fault": "pause", "targets": ["worker-1"], "begin_s": 2, "end_s": 4}])",
       "$.plan[1]: overlaps the kill of worker-1 (key plan-0) on worker-1"},
      {R"([{"fault": "disk", "targets": ["worker-1"], "begin_s": 1, "end_s": 2,
            "params": {"op": "read"}}])",
       "$.plan[0].params.op"},
  };
  for (const auto& [plan, expected] : cases) {
    auto s = ParseScenario(WithPlan(plan), "p.json");
    ASSERT_FALSE(s.ok()) << plan;
    EXPECT_NE(s.status().message().find(expected), std::string::npos)
        << s.status().ToString() << "\nexpected: " << expected;
  }
}

TEST(FixedPlan, HonoursMaxActiveFaults) {
  const char* plan = R"([
      {"fault": "kill", "targets": ["worker-1"], "begin_s": 1, "end_s": 3},
      {"fault": "kill", "targets": ["worker-2"], "begin_s": 2, "end_s": 4}])";
  EXPECT_TRUE(ParseScenario(WithPlan(plan), "p.json").ok());
  auto s = ParseScenario(WithPlan(plan, R"("max_active_faults": 1,)"), "p.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("above max_active_faults (1)"), std::string::npos)
      << s.status().ToString();
}

TEST(PlanConflict, DiskFaultsHoldBesideOtherFaultsOfTheirNode) {
  PlannedFault kill;
  kill.key = "k";
  kill.kind = faults::FaultKind::kKill;
  kill.fault = "kill";
  kill.targets = {"w"};
  kill.begin_s = 0;
  kill.end_s = 5;
  PlannedFault disk = kill;
  disk.kind = faults::FaultKind::kDisk;
  disk.fault = "disk";
  disk.begin_s = 1;
  EXPECT_EQ(PlanConflict({kill}, disk, 10), "");
  PlannedFault pause = kill;
  pause.kind = faults::FaultKind::kPause;
  pause.begin_s = 1;
  EXPECT_NE(PlanConflict({kill}, pause, 10), "");
  pause.begin_s = 5;  // begins as the kill ends
  EXPECT_EQ(PlanConflict({kill}, pause, 10), "");
}

}  // namespace
}  // namespace faultline::harness
