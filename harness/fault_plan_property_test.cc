// Properties of plans drawn from a nemesis: keys are unique; any subset of a drawn plan, given
// as a fixed plan, replays exactly that subset (removing faults never changes the others and
// never brings back a fault the plan rule dropped); the drawn plan survives the round trip
// through plan.json's form.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "harness/nemesis.h"
#include "harness/scenario.h"

namespace faultline::harness {
namespace {

const std::vector<std::string> kKinds = {"kill", "pause", "partition", "disk", "restart"};

Scenario RandomScenario() {
  Scenario s;
  s.name = "prop";
  s.modes = {"exactly-once"};
  s.duration_s = *rc::gen::inRange(5, 30);
  s.max_active_faults = *rc::gen::inRange(1, 4);
  const int specs = *rc::gen::inRange(1, 6);
  for (int i = 0; i < specs; ++i) {
    FaultSpec f;
    f.fault = *rc::gen::elementOf(kKinds);
    f.target = *rc::gen::element<std::string>("worker-1", "worker-2", "random-worker",
                                              "all-workers", "coordinator");
    f.duration_s = *rc::gen::inRange(0, 40) / 10.0;
    f.start_s = *rc::gen::inRange(0, 30) / 10.0;
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        f.at_s = *rc::gen::inRange(0, 50) / 10.0;
        break;
      case 1:
        f.every_s = *rc::gen::inRange(5, 40) / 10.0;
        break;
      default:
        f.mean_interval_s = *rc::gen::inRange(5, 40) / 10.0;
        break;
    }
    s.nemesis.push_back(std::move(f));
  }
  return s;
}

const std::vector<systems::NodeSpec> kNodes = {{"coordinator", "coordinator"},
                                               {"worker-1", "worker"},
                                               {"worker-2", "worker"},
                                               {"worker-3", "worker"}};

bool SameFault(const PlannedFault& a, const PlannedFault& b) {
  return a.key == b.key && a.fault == b.fault && a.targets == b.targets && a.begin_s == b.begin_s &&
         a.end_s == b.end_s && a.params == b.params;
}

RC_GTEST_PROP(FaultPlan, ASubsetOfADrawnPlanReplaysExactlyThatSubset, ()) {
  Scenario s = RandomScenario();
  auto schedule = PlanFaults(s, kNodes, Rng(*rc::gen::arbitrary<uint32_t>()));
  RC_ASSERT(schedule.ok());
  std::set<std::string> keys;
  for (const auto& f : schedule->faults) RC_ASSERT(keys.insert(f.key).second);
  for (const auto& f : schedule->dropped) RC_ASSERT(keys.insert(f.key).second);

  std::vector<PlannedFault> subset;
  for (const auto& f : schedule->faults) {
    if (*rc::gen::arbitrary<bool>()) subset.push_back(f);
  }
  auto replayed =
      ParsePlan(PlanToJson(subset), "$.plan", "prop", s.duration_s, s.max_active_faults);
  RC_ASSERT(replayed.ok());
  RC_ASSERT(replayed->size() == subset.size());
  for (size_t i = 0; i < subset.size(); ++i) {
    RC_ASSERT(SameFault((*replayed)[i], subset[i]));
    RC_ASSERT((*replayed)[i].rng_label() == subset[i].rng_label());
    RC_ASSERT((*replayed)[i].id == static_cast<int>(i));
  }
  Scenario fixed = s;
  fixed.nemesis.clear();
  fixed.plan = *replayed;
  auto again = PlanFaults(fixed, kNodes, Rng(1));
  RC_ASSERT(again.ok());
  RC_ASSERT(again->dropped.empty());
  RC_ASSERT(again->faults.size() == subset.size());
}

RC_GTEST_PROP(FaultPlan, ThePlanRuleOnlyDropsFaultsAndNeverChangesThem, ()) {
  Scenario s = RandomScenario();
  const uint64_t seed = *rc::gen::arbitrary<uint32_t>();
  auto all = PlanFaults(s, kNodes, Rng(seed));
  RC_ASSERT(all.ok());
  Scenario roomy = s;
  roomy.max_active_faults = 1000;
  auto before = PlanFaults(roomy, kNodes, Rng(seed));
  RC_ASSERT(before.ok());
  for (const auto& f : all->faults) {
    bool found = false;
    for (const auto& g : before->faults) found |= SameFault(f, g);
    for (const auto& g : before->dropped) found |= SameFault(f, g);
    RC_ASSERT(found);
  }
}

}  // namespace
}  // namespace faultline::harness
