// The registry, the checks selection and the verdict rules of checkers/verdict.h.
#include "checkers/registry.h"

#include <gtest/gtest.h>

#include "checkers/check.h"
#include "checkers/results_json.h"
#include "checkers/testing.h"
#include "checkers/verdict.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

TEST(Registry, NamesKindsAndJobs) {
  EXPECT_EQ(CheckerNames(), (std::vector<std::string>{"delivery", "state", "order", "windows",
                                                      "visibility", "availability"}));
  for (size_t i = 0; i < Checkers().size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(Checkers()[i].id), i);
    EXPECT_EQ(FindChecker(Checkers()[i].name), &Checkers()[i]);
  }
  EXPECT_EQ(FindChecker("linearizability"), nullptr);
  EXPECT_TRUE(SpecOf(CheckerId::kState).AppliesTo(JobKind::kCount));
  EXPECT_FALSE(SpecOf(CheckerId::kState).AppliesTo(JobKind::kDelivery));
  EXPECT_FALSE(SpecOf(CheckerId::kWindows).AppliesTo(JobKind::kDelivery));
  EXPECT_TRUE(SpecOf(CheckerId::kOrder).AppliesTo(JobKind::kDelivery));
  EXPECT_FALSE(SpecOf(CheckerId::kOrder).AppliesTo(JobKind::kWindowCount));
}

TEST(Registry, EveryCheckerReportsTheRegistryKindsInOrder) {
  for (const char* job : {"count", "window-count", "delivery"}) {
    HistoryText h;
    h.Meta("exactly-once", job).Input(1, 1, "a").FinalRead(10);
    CheckResult r = h.Check();
    ASSERT_EQ(r.checkers.size(), Checkers().size()) << job;
    for (size_t i = 0; i < r.checkers.size(); ++i) {
      const CheckerSpec& spec = Checkers()[i];
      EXPECT_EQ(r.checkers[i].name, spec.name);
      EXPECT_EQ(r.checkers[i].applicable, spec.AppliesTo(*ParseJobKind(job))) << spec.name;
      ASSERT_EQ(r.checkers[i].anomalies.size(), spec.kinds.size()) << spec.name;
      for (size_t k = 0; k < spec.kinds.size(); ++k) {
        EXPECT_EQ(r.checkers[i].anomalies[k].name, spec.kinds[k]);
      }
    }
  }
}

// One lost record and one duplicated one.
HistoryText LossAndDuplicate(std::string_view meta_extra = "") {
  HistoryText h;
  h.Meta("exactly-once", "count", meta_extra).Input(1, 1, "a").Input(2, 2, "b");
  h.Output(11, 1, "a", 1).Output(12, 1, "a", 1).FinalRead(20);
  return h;
}

TEST(Selection, ACheckerLeftOutIsReportedAndNeverAffectsTheVerdict) {
  CheckOptions options;
  options.checks = std::vector<std::string>{"order", "availability"};
  CheckResult r = LossAndDuplicate().Check(options);
  EXPECT_EQ(r.verdict, Verdict::kValid) << FormatSummary(r);
  const CheckerResult* d = r.Find("delivery");
  EXPECT_FALSE(d->selected);
  EXPECT_FALSE(d->applicable);
  EXPECT_TRUE(d->valid);
  EXPECT_EQ(d->Count("lost"), 0);  // never run
  EXPECT_EQ(d->details["skipped"], "not in the scenario's checks");
  EXPECT_TRUE(r.Find("order")->selected);
  EXPECT_NE(FormatSummary(r).find("skipped"), std::string::npos);
  nlohmann::json j = ResultsToJson(r, "h");
  EXPECT_EQ(j["checkers"]["delivery"]["selected"], false);
  EXPECT_EQ(j["checkers"]["delivery"]["skipped"], "not in the scenario's checks");
  EXPECT_EQ(j["checkers"]["order"]["selected"], true);

  options.checks = std::vector<std::string>{"delivery"};
  EXPECT_EQ(LossAndDuplicate().Check(options).verdict, Verdict::kInvalid);
  EXPECT_EQ(LossAndDuplicate().Check().verdict, Verdict::kInvalid);  // absent: every checker
}

TEST(Selection, TheMetaLinesChecksAndTheOptionsOverride) {
  HistoryText h = LossAndDuplicate(",\"checks\":[\"state\",\"order\"]");
  auto parsed = ParseHistory(h.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(parsed->meta.checks.has_value());
  EXPECT_EQ(*parsed->meta.checks, (std::vector<std::string>{"state", "order"}));
  CheckResult r = Check(*parsed);
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_FALSE(r.Find("delivery")->selected);
  EXPECT_TRUE(r.Find("state")->selected);

  CheckOptions options;
  options.checks = std::vector<std::string>{"delivery"};
  EXPECT_EQ(Check(*parsed, options).verdict, Verdict::kInvalid);
  options.checks = std::vector<std::string>{"delivery", "telepathy"};
  CheckResult odd = Check(*parsed, options);
  EXPECT_EQ(odd.verdict, Verdict::kUnknown);
  EXPECT_NE(odd.unknown_reasons[0].find("telepathy"), std::string::npos);
}

TEST(Selection, AnUnknownCheckerInTheMetaLineIsCorruption) {
  auto bad = ParseHistory(
      "\n{\"type\":\"meta\",\"mode\":\"exactly-once\",\"checks\":[\"delivery\",\"telepathy\"]}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsCorruption());
  EXPECT_EQ(bad.status().message().rfind(
                "line 2: meta line: \"checks\" names an unknown checker \"telepathy\"", 0),
            0u)
      << bad.status().message();
  auto mistyped = ParseHistory(R"({"type":"meta","checks":"delivery"})");
  ASSERT_FALSE(mistyped.ok());
  EXPECT_EQ(mistyped.status().message(),
            "line 1: meta line: \"checks\" must be an array of checker names");
}

TEST(VerdictRules, ExitCodesAndExpectations) {
  EXPECT_EQ(ExitCodeFor(Verdict::kValid), 0);
  EXPECT_EQ(ExitCodeFor(Verdict::kInvalid), 1);
  EXPECT_EQ(ExitCodeFor(Verdict::kUnknown), 2);
  EXPECT_TRUE(MeetsExpectation(Verdict::kValid, "valid"));
  EXPECT_FALSE(MeetsExpectation(Verdict::kInvalid, "valid"));
  EXPECT_TRUE(MeetsExpectation(Verdict::kInvalid, "invalid"));
  EXPECT_FALSE(MeetsExpectation(Verdict::kValid, "invalid"));
  EXPECT_TRUE(MeetsExpectation(Verdict::kValid, "any"));
  EXPECT_TRUE(MeetsExpectation(Verdict::kInvalid, "any"));
  EXPECT_FALSE(MeetsExpectation(Verdict::kUnknown, "any"));
  EXPECT_FALSE(MeetsExpectation(Verdict::kUnknown, "valid"));
  EXPECT_FALSE(MeetsExpectation(Verdict::kUnknown, "unknown"));
  EXPECT_FALSE(MeetsExpectation(Verdict::kValid, "sometimes"));
  EXPECT_EQ(ParseVerdict("invalid"), Verdict::kInvalid);
  EXPECT_FALSE(ParseVerdict("maybe").has_value());
}

TEST(VerdictRules, EachAnomalyIsJudgedAndTheFailingOnesAreListed) {
  const Mode modes[] = {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce};
  const std::vector<std::string> failing[] = {{"duplicated"}, {"lost"}, {"lost", "duplicated"}};
  for (int m = 0; m < 3; ++m) {
    CheckResult r = LossAndDuplicate().Check({modes[m]});
    nlohmann::json j = ResultsToJson(r, "h");
    EXPECT_EQ(j["checkers"]["delivery"]["failing"], nlohmann::json(failing[m])) << m;
    EXPECT_EQ(j["checkers"]["delivery"]["anomalies"],
              nlohmann::json::array({"lost", "duplicated", "unexpected", "delivered-after-fail"}));
    EXPECT_EQ(r.Find("delivery")->Find("lost")->fails, modes[m] != Mode::kAtMostOnce);
  }
  // With no known mode, whatever was found fails.
  HistoryText no_mode;
  no_mode.Input(1, 1, "a").Input(2, 2, "b").Output(11, 1, "a", 1).Output(12, 1, "a", 1);
  CheckResult r = no_mode.FinalRead(20).Check();
  EXPECT_TRUE(r.Find("delivery")->Find("lost")->fails);
  EXPECT_TRUE(r.Find("delivery")->Find("duplicated")->fails);
  EXPECT_FALSE(r.Find("delivery")->Find("unexpected")->fails);  // none found
}

}  // namespace
}  // namespace faultline::checkers
