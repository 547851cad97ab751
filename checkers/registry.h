#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checkers/history.h"
#include "checkers/result.h"

namespace faultline::checkers {

class ContextBuilder;
class RecordIndex;
class WindowTable;

// What a checker runs on: the history and the indexes of its job, built once per check.
// References only; valid for the duration of one Check().
struct CheckInputs {
  const History& history;
  JobKind job;
  const ContextBuilder& context;
  const RecordIndex* records;  // the count and delivery jobs; null for the window job
  const WindowTable* windows;  // the window job; null otherwise
};

// One checker as the registry knows it: its name (in results.json, scenario files' `checks`
// and the history's meta `checks`), its anomaly kinds in results order, the jobs it judges
// and the function that runs it.
struct CheckerSpec {
  CheckerId id;
  std::string_view name;
  std::vector<std::string_view> kinds;
  std::vector<JobKind> jobs;
  CheckerResult (*run)(const CheckInputs& in);

  bool AppliesTo(JobKind job) const;
};

// The registry: every checker, in CheckerId (and results) order. Built once; thread-safe.
const std::vector<CheckerSpec>& Checkers();
const CheckerSpec& SpecOf(CheckerId id);
// The checker named `name`, or null.
const CheckerSpec* FindChecker(std::string_view name);
// delivery, state, order, windows, visibility, availability: the names a scenario's `checks`
// may hold.
const std::vector<std::string>& CheckerNames();

// A result of checker `id` with each of its kinds at zero, in registry order.
CheckerResult NewCheckerResult(CheckerId id);

}  // namespace faultline::checkers
