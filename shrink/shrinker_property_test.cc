// The shrinker against a model: a bug that the faults of a hidden culprit set reveal together
// (a candidate fails iff its plan holds every culprit). Properties: the shrink ends with
// exactly the culprits, within the budget, never accepting a candidate that did not fail; an
// interrupted shrink resumed from its saved log ends where an uninterrupted one does, without
// trying a candidate twice; and the benchmark's case (one culprit among ten others) takes
// at most 40 tries.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "base/file.h"
#include "base/test_util.h"
#include "shrink/shrinker.h"

namespace faultline::shrink {
namespace {

using harness::PlannedFault;
using harness::Scenario;

Scenario RandomScenario(int faults) {
  Scenario s;
  s.name = "model";
  s.modes = {"exactly-once"};
  s.seed = 7;
  s.duration_s = 20;
  s.workers = *rc::gen::inRange(1, 4);
  std::vector<PlannedFault> plan;
  for (int i = 0; i < faults; ++i) {
    PlannedFault f;
    f.key = "k" + std::to_string(i);
    f.kind = faults::FaultKind::kKill;
    f.fault = "kill";
    f.targets = {"node-" + std::to_string(i)};  // one node each: never in conflict
    f.begin_s = *rc::gen::inRange(0, 150) / 10.0;
    f.end_s = f.begin_s + *rc::gen::inRange(0, 40) / 10.0;
    plan.push_back(std::move(f));
  }
  std::stable_sort(plan.begin(), plan.end(),
                   [](const auto& a, const auto& b) { return a.begin_s < b.begin_s; });
  for (size_t i = 0; i < plan.size(); ++i) plan[i].id = static_cast<int>(i);
  s.plan = std::move(plan);
  return s;
}

class ModelOracle : public Oracle {
 public:
  explicit ModelOracle(std::set<std::string> culprits) : culprits_(std::move(culprits)) {}
  TryResult Try(const Scenario& candidate, int try_number) override {
    ++calls;
    RC_ASSERT(try_number == calls + prior);
    std::set<std::string> keys;
    for (const auto& f : *candidate.plan) keys.insert(f.key);
    TryResult r;
    r.reproduced = std::includes(keys.begin(), keys.end(), culprits_.begin(), culprits_.end());
    r.verdict = r.reproduced ? "invalid" : "valid";
    if (r.reproduced) r.failing = {"delivery.lost"};
    tried.insert(candidate.ToJson().dump());
    return r;
  }
  int calls = 0;
  int prior = 0;  // tries of an earlier session
  std::set<std::string> tried;

 private:
  std::set<std::string> culprits_;
};

std::set<std::string> Keys(const Scenario& s) {
  std::set<std::string> keys;
  for (const auto& f : *s.plan) keys.insert(f.key);
  return keys;
}

ShrinkLog::Header HeaderOf(const Scenario& s) {
  return {"run", s.name, s.modes[0], *s.seed, {"delivery.lost"}, static_cast<int>(s.plan->size())};
}

bool FewerNodes(Scenario* s) {
  if (s->workers <= 1) return false;
  --s->workers;
  return true;
}

RC_GTEST_PROP(Shrinker, EndsWithExactlyTheCulpritsWithinTheBudget, ()) {
  const int n = *rc::gen::inRange(1, 16);
  Scenario original = RandomScenario(n);
  std::set<std::string> culprits;
  const int culprit_count = *rc::gen::inRange(0, std::min(n, 3) + 1);
  while (static_cast<int>(culprits.size()) < culprit_count)
    culprits.insert("k" + std::to_string(*rc::gen::inRange(0, n)));
  ModelOracle oracle(culprits);
  ShrinkLog log(HeaderOf(original));
  ShrinkerOptions options;
  options.budget = 400;
  options.tries = 1;
  options.fewer_nodes = FewerNodes;
  Shrinker shrinker(original, options, &oracle, &log);
  auto best = shrinker.Run();
  RC_ASSERT(best.ok());
  RC_ASSERT(Keys(*best) == culprits);
  RC_ASSERT(best->workers == 1);
  RC_ASSERT(best->duration_s <= original.duration_s);
  RC_ASSERT(oracle.calls == log.tries_used());
  RC_ASSERT(!shrinker.budget_exhausted());
  RC_ASSERT(static_cast<int>(oracle.tried.size()) == oracle.calls);  // none tried twice
  // The best is a candidate that failed when tried.
  bool found = false;
  for (const auto& c : log.candidates()) found |= c.scenario == best->ToJson() && c.fails();
  RC_ASSERT(found);
}

RC_GTEST_PROP(Shrinker, ABudgetStopsItWithTheBestSoFar, ()) {
  const int n = *rc::gen::inRange(2, 16);
  Scenario original = RandomScenario(n);
  ModelOracle oracle({"k" + std::to_string(*rc::gen::inRange(0, n))});
  ShrinkLog log(HeaderOf(original));
  ShrinkerOptions options;
  options.budget = *rc::gen::inRange(1, 8);
  options.tries = 1;
  Shrinker shrinker(original, options, &oracle, &log);
  auto best = shrinker.Run();
  RC_ASSERT(log.tries_used() <= options.budget);
  RC_ASSERT(best.ok());  // the original fails, and is tried first
  RC_ASSERT(best->plan->size() <= original.plan->size());
}

RC_GTEST_PROP(Shrinker, AResumedShrinkEndsWhereAnUninterruptedOneDoes, ()) {
  const int n = *rc::gen::inRange(1, 14);
  Scenario original = RandomScenario(n);
  std::set<std::string> culprits = {"k" + std::to_string(*rc::gen::inRange(0, n))};
  if (n > 1 && *rc::gen::arbitrary<bool>()) culprits.insert("k" + std::to_string(n - 1));
  ShrinkerOptions options;
  options.budget = 400;
  options.tries = *rc::gen::inRange(1, 3);

  ModelOracle whole_oracle(culprits);
  ShrinkLog whole_log(HeaderOf(original));
  auto whole = Shrinker(original, options, &whole_oracle, &whole_log).Run();
  RC_ASSERT(whole.ok());

  // Interrupted after a few tries, saved, loaded, resumed.
  TempDir dir;
  const std::string path = JoinPath(dir.path(), "shrink.json");
  ShrinkerOptions first = options;
  first.budget = *rc::gen::inRange(1, whole_log.tries_used() + 1);
  ModelOracle first_oracle(culprits);
  ShrinkLog first_log(HeaderOf(original));
  (void)Shrinker(original, first, &first_oracle, &first_log).Run();
  RC_ASSERT(first_log.Save(path).ok());
  auto loaded = ShrinkLog::Load(path, HeaderOf(original));
  RC_ASSERT(loaded.ok());
  RC_ASSERT(loaded->tries_used() == first_log.tries_used());
  ModelOracle rest_oracle(culprits);
  rest_oracle.prior = loaded->tries_used();
  auto resumed = Shrinker(original, options, &rest_oracle, &*loaded).Run();
  RC_ASSERT(resumed.ok());
  RC_ASSERT(resumed->ToJson() == whole->ToJson());
  RC_ASSERT(first_oracle.calls + rest_oracle.calls == whole_oracle.calls);
}

RC_GTEST_PROP(Shrinker, OneCulpritAmongTenOthersTakesAtMostFortyTries, ()) {
  Scenario original = RandomScenario(11);
  ModelOracle oracle({"k" + std::to_string(*rc::gen::inRange(0, 11))});
  ShrinkLog log(HeaderOf(original));
  ShrinkerOptions options;
  options.budget = 40;  // tries 0: the two confirming runs choose K = 1
  Shrinker shrinker(original, options, &oracle, &log);
  auto best = shrinker.Run();
  RC_ASSERT(best.ok());
  RC_ASSERT(shrinker.tries_per_candidate() == 1);
  RC_ASSERT(best->plan->size() == 1u);
  RC_ASSERT(log.tries_used() <= 40);
}

TEST(ChooseTries, MissesAFailureAsFlakyAsTheOriginalAtMostOneTimeInTwenty) {
  EXPECT_EQ(ChooseTries(3, 3), 1);
  EXPECT_EQ(ChooseTries(2, 3), 3);  // (1/3)^3 = 3.7%
  EXPECT_EQ(ChooseTries(1, 3), 5);  // (2/3)^5 = 13%: capped
  EXPECT_EQ(ChooseTries(0, 3), 5);
}

TEST(ShrinkLog, RefusesALogOfAnotherRun) {
  TempDir dir;
  const std::string path = JoinPath(dir.path(), "shrink.json");
  ShrinkLog::Header h{"run-a", "s", "exactly-once", 1, {"delivery.lost"}, 3};
  ShrinkLog log(h);
  ASSERT_TRUE(log.Save(path).ok());
  EXPECT_TRUE(ShrinkLog::Load(path, h).ok());
  h.seed = 2;
  auto other = ShrinkLog::Load(path, h);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("$.shrinks: a shrink of another run"), std::string::npos)
      << other.status().ToString();
  ASSERT_TRUE(WriteFileAtomic(path, R"({"faultline_version": "0.0.1"})").ok());
  auto old = ShrinkLog::Load(path, h);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("$.faultline_version"), std::string::npos);
  EXPECT_TRUE(ShrinkLog::Load(JoinPath(dir.path(), "none.json"), h).status().IsNotFound());
}

}  // namespace
}  // namespace faultline::shrink
