#pragma once

#include <optional>
#include <string>

#include "checkers/history.h"
#include "checkers/result.h"

namespace faultline::checkers {

struct CheckOptions {
  // Overrides the mode named by the history's meta line.
  std::optional<Mode> mode;
};

// Runs every checker on `history` and decides the verdict against the mode's expectation
// (DESIGN.md §4):
//   at-most-once   fails on duplicates (and on windows counted above their input);
//   at-least-once  fails on loss (and on windows counted below their input);
//   exactly-once   fails on any delivery, state, order, windows or visibility anomaly.
// Output ids never input fail every mode. State, order and visibility anomalies are reported
// in every mode; only exactly-once fails on them. A history without a `final-read` phase (the
// run never reached quiescence) or without a known mode gives kUnknown, with the checkers'
// findings still reported. The job comes from the meta line, else from the lines present.
// Pure function; thread-safe.
CheckResult Check(const History& history, const CheckOptions& options = {});

// A few lines for a terminal: verdict, then one line per checker with its figures.
std::string FormatSummary(const CheckResult& result);

}  // namespace faultline::checkers
