#pragma once

#include <optional>
#include <string_view>

#include "checkers/result.h"

namespace faultline::checkers {

// The verdict rules, in one place: which anomaly fails which mode, how the checkers' findings
// make the run's verdict, and what a verdict means to `faultline check`'s exit status and to
// a scenario's expectation. The per-mode rules are those of docs/design.md (Delivery modes),
// as results.json records them (docs/results-format.md). Pure functions; thread-safe.

// Whether anomaly `a` of checker `c` fails a run under `mode`. With no known mode, every
// anomaly found fails. An anomaly with count 0 never fails.
//   delivery      lost: at-least-once and exactly-once; duplicated: at-most-once and
//                 exactly-once; unexpected, delivered-after-fail: every mode
//   windows       exactly-once: any mismatch; at-least-once: missing, extra or undercounted
//                 windows; at-most-once: extra or overcounted windows (c.details)
//   state, order, visibility   exactly-once
//   availability  never
bool AnomalyFails(std::optional<Mode> mode, const CheckerResult& c, const Anomaly& a);

// Sets `fails` of each of c's anomalies and c's `valid` (no anomaly fails). A checker that is
// not applicable or not selected has no failing anomaly and is valid.
void JudgeChecker(std::optional<Mode> mode, CheckerResult* c);

// Whether anomaly `a` of checker `c` can only be judged on a run that reached its end: a
// record is lost, a count has a gap, a window is off or a read aborted only if nothing more
// was to come. The others (two committed copies, committed output taken back, a count
// applied twice, ...) stand however the run ended.
bool NeedsACompleteRun(const CheckerResult& c, const Anomaly& a);

// Judges every checker of `r` under r->mode and sets r->verdict. A run that could not be
// judged to its end (r->unknown_reasons not empty) is kInvalid when an anomaly that stands
// however the run ended fails it, else kUnknown; always kUnknown when the request itself
// cannot be judged (r->request_unjudgeable: no mode, an unknown checker). Any other run is
// kInvalid when any checker is invalid, else kValid.
void DecideVerdict(CheckResult* r);

// `faultline check`'s exit status: 0 valid, 1 invalid, 2 unknown.
int ExitCodeFor(Verdict verdict);

// Whether `verdict` is what a scenario expects: `expected` is "valid", "invalid" or "any"
// (any verdict but unknown: the run must reach one). Any other expectation is never met.
bool MeetsExpectation(Verdict verdict, std::string_view expected);

}  // namespace faultline::checkers
