#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "harness/scenario.h"
#include "harness/suite.h"
#include "systems/system.h"

namespace faultline::shrink {

struct ShrinkRequest {
  std::string run_dir;  // one mode's run directory, judged invalid, with its plan.json
  int budget = harness::kDefaultShrinkBudget;  // tries in all (docs/shrinking.md)
  int tries = 0;             // per candidate; 0 = chosen from two reruns of the original
  std::string minimal_path;  // where the minimal scenario goes; "" = RUN_DIR/shrink/minimal.json
  bool quiet = false;        // no progress line (a suite prints its own)
  // As RunOptions::make_system: tests plug in systems of their own.
  std::function<Result<std::unique_ptr<systems::System>>(const harness::Scenario&)> make_system;
};

struct ShrinkSummary {
  std::string minimal_path;
  std::string log_path;  // shrink.json
  int original_faults = 0;
  int minimal_faults = 0;
  double original_duration_s = 0;
  double minimal_duration_s = 0;
  int tries_used = 0;  // this shrink's, resumed sessions included
  int tries_per_candidate = 0;
  double wall_s = 0;  // of every session
  bool budget_exhausted = false;
};

// Shrinks a stored failing run (docs/shrinking.md): replays its plan.json as a fixed plan,
// searches for the smallest plan that still fails with one of the anomaly kinds the run failed
// with, writes the minimal scenario, RUN_DIR/shrink/shrink.json (every candidate and try,
// resumed when present) and redraws the run's report with a shrink section. Each try is a real
// run under RUN_DIR/shrink/tries/N/. InvalidArgument (a usage error, exit 2) for a run that is
// not invalid, has no plan.json, was stored by another version, or a budget below 1; NotFound
// when the failure does not reproduce.
Result<ShrinkSummary> ShrinkRun(const ShrinkRequest& request);

}  // namespace faultline::shrink
