#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "checkers/result.h"

namespace faultline::checkers {

struct CheckOptions {
  // Overrides the mode named by the history's meta line.
  std::optional<Mode> mode;
  // Overrides the history's meta `checks`: the names (CheckerNames()) of the checkers to run.
  // nullopt: the meta line's selection, else every checker.
  std::optional<std::vector<std::string>> checks = std::nullopt;
};

// Runs the selected checkers that apply to the job (checkers/registry.h) on `history` and
// decides the verdict against the mode's expectation (checkers/verdict.h; docs/design.md,
// Delivery modes):
//   at-most-once   fails on duplicates (and on windows counted above their input);
//   at-least-once  fails on loss (and on windows counted below their input);
//   exactly-once   fails on any delivery, state, order, windows or visibility anomaly.
// Output ids never input, and sends that failed yet were delivered, fail every mode. State,
// order and visibility anomalies are reported in every mode; only exactly-once fails on them.
// A checker left out by the selection is reported as not selected and never affects the
// verdict. A history without a `final-read` phase (the run never reached quiescence), without
// a known mode, or whose selection names an unknown checker gives kUnknown, with the checkers'
// findings still reported. The job comes from the meta line, else from the lines present.
// Pure function; thread-safe.
CheckResult Check(const History& history, const CheckOptions& options = {});

// A few lines for a terminal: verdict, then one line per checker with its figures.
std::string FormatSummary(const CheckResult& result);

}  // namespace faultline::checkers
