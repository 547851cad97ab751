#pragma once

#include <functional>
#include <string>

#include "harness/scenario.h"
#include "harness/suite.h"
#include "shrink/shrink_log.h"

namespace faultline::shrink {

// Runs one try of a candidate scenario (a real run, in production) and says what it showed.
class Oracle {
 public:
  virtual ~Oracle() = default;
  // `try_number` counts every try of the shrink from 1, for the try's directory.
  virtual TryResult Try(const harness::Scenario& candidate, int try_number) = 0;
};

struct ShrinkerOptions {
  int budget = harness::kDefaultShrinkBudget;  // tries in all, a resumed log's included
  // Tries per candidate: a candidate fails if any of its tries reproduces. 0: chosen from
  // how often the original reproduces (ChooseTries).
  int tries = 0;
  // Removes one node the plan does not touch (the scenario's system allows it), or says no.
  std::function<bool(harness::Scenario*)> fewer_nodes;
  // Called after every try and whenever the best candidate changes: the log as it stands and
  // the best candidate so far (to save the log and show progress).
  std::function<void(const ShrinkLog&, const harness::Scenario& best)> on_progress;
};

// How many tries per candidate: the fewest with which a candidate failing as often as the
// original is missed with probability <= 5%, between 1 and 5, given `failed` of `runs` runs
// of the original failed. 1 when every run failed.
int ChooseTries(int failed, int runs);

// Shrinks a failing scenario with a fixed plan to a smaller one that still fails
// (docs/shrinking.md): delta debugging over the faults (ddmin, then no fault at all), then
// shorter faults, faults moved later (each toward the next), a shorter run, then fewer nodes
// (where `fewer_nodes` allows). Every candidate obeys the plan rule (PlanConflict) and is
// tried through `oracle` up to K times unless `log` already has its outcome; every try counts
// against the budget and is added to `log`. When the budget runs out the best so far stands.
// Not thread-safe.
class Shrinker {
 public:
  Shrinker(harness::Scenario original, ShrinkerOptions options, Oracle* oracle, ShrinkLog* log);

  // The smallest failing scenario found. NotFound when the original does not fail in K tries
  // (then there is nothing to shrink against).
  Result<harness::Scenario> Run();

  int tries_per_candidate() const { return tries_; }
  bool budget_exhausted() const { return exhausted_; }

 private:
  // Whether `candidate` fails: from the log, else by trying it (until one try reproduces or
  // K tries did not). False when the budget ran out first.
  bool Fails(const harness::Scenario& candidate, const std::string& step);
  // One try of `candidate` (logged under `key`, its scenario JSON): whether it reproduced.
  bool TryOnce(const harness::Scenario& candidate, const nlohmann::json& key);
  harness::Scenario WithPlan(std::vector<harness::PlannedFault> plan) const;
  bool Admissible(const harness::Scenario& candidate) const;
  void Accept(harness::Scenario candidate);

  void DeltaDebug();
  void ShortenFaults();
  void MoveFaultsLater();
  void ShortenRun();
  void RemoveNodes();

  ShrinkerOptions options_;
  Oracle* oracle_;
  ShrinkLog* log_;
  harness::Scenario best_;
  int tries_ = 1;
  bool exhausted_ = false;
};

}  // namespace faultline::shrink
