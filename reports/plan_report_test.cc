#include "reports/plan_report.h"

#include <gtest/gtest.h>

namespace faultline::reports {
namespace {

const char* kPlan = R"({"source": "nemesis",
  "faults": [{"key": "0.0", "fault": "kill", "targets": ["worker-<1>"], "begin_s": 1.5,
              "end_s": 2.5, "params": {}}],
  "dropped": [{"key": "1.0", "fault": "pause", "targets": ["worker-2"], "begin_s": 2,
               "end_s": 3, "params": {}}]})";

TEST(PlanReport, ListsTheFaultsAndTheDroppedOnesEscaped) {
  const std::string html = FaultPlanSection(nlohmann::json::parse(kPlan));
  EXPECT_NE(html.find("<h2>Fault plan</h2>"), std::string::npos);
  EXPECT_NE(html.find("1 fault, drawn from the seed"), std::string::npos) << html;
  EXPECT_NE(html.find("worker-&lt;1&gt;"), std::string::npos) << html;
  EXPECT_EQ(html.find("worker-<1>"), std::string::npos);
  EXPECT_NE(html.find("1 drawn but dropped"), std::string::npos) << html;
  EXPECT_EQ(FaultPlanSection(nlohmann::json()), "");
}

TEST(PlanReport, ShrinkSaysFromWhatToWhat) {
  nlohmann::json shrink = {{"shrinks", {{"target", {"delivery.lost"}}}},
                           {"summary",
                            {{"original", {{"faults", 11}, {"duration_s", 12.0}, {"workers", 3}}},
                             {"best",
                              {{"faults", 1},
                               {"duration_s", 7.125},
                               {"workers", 2},
                               {"plan", nlohmann::json::parse(kPlan)["faults"]}}},
                             {"tries_used", 10},
                             {"budget", 40},
                             {"state", "done"},
                             {"minimal_scenario", "s/minimal.json"}}},
                           {"candidates",
                            {{{"step", "ddmin"},
                              {"faults", 5},
                              {"outcome", "passes"},
                              {"scenario", {{"duration_s", 12.0}}},
                              {"tries", {{{"reproduced", false}, {"verdict", "valid"}}}}}}}};
  const std::string html = ShrinkSection(shrink);
  EXPECT_NE(html.find("From 11 faults in 12.00 s to <b>1</b> in 7.12 s and 2 workers instead of 3"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("still failing with delivery.lost; 10 runs of a budget of 40"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("faultline run s/minimal.json"), std::string::npos);
  EXPECT_NE(html.find("1 candidates"), std::string::npos) << html;
  EXPECT_EQ(ShrinkSection(nlohmann::json()), "");
}

}  // namespace
}  // namespace faultline::reports
