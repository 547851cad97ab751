#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace faultline::harness {

// Runs a shrink may spend on one failing run unless told otherwise (docs/shrinking.md).
inline constexpr int kDefaultShrinkBudget = 40;

// Shrinks one failing run within `budget` tries, writes its minimal scenario to
// `minimal_path`, and says in one line what it found (shrink/shrink_run.h).
using SuiteShrinker = std::function<Result<std::string>(const std::string& run_dir, int budget,
                                                        const std::string& minimal_path)>;

// `faultline suite PATH... [--shard I/N] [--junit FILE] [--store DIR] [--seed N] [--shrink]
// [--shrink-budget RUNS]`: runs every scenario, writes the suite's reports and returns the
// exit status. With --shrink, every run that failed (invalid, not as expected) is shrunk by
// `shrink` and its minimal scenario written beside the JUnit file (else into the store) as
// SCENARIO.MODE.min.json.
int RunSuite(const std::vector<std::string>& args, const SuiteShrinker& shrink);

}  // namespace faultline::harness
