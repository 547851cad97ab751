#include "checkers/registry.h"

#include <algorithm>
#include <cstdlib>

#include "checkers/availability.h"
#include "checkers/delivery.h"
#include "checkers/index.h"
#include "checkers/state.h"
#include "checkers/windows.h"

namespace faultline::checkers {
namespace {

constexpr JobKind kCount = JobKind::kCount;
constexpr JobKind kWindow = JobKind::kWindowCount;
constexpr JobKind kDelivery = JobKind::kDelivery;

CheckerResult RunDelivery(const CheckInputs& in) {
  if (in.job == kWindow) return CheckWindowDelivery(in.history, *in.windows, in.context);
  return CheckDelivery(in.history, *in.records, in.context);
}

CheckerResult RunState(const CheckInputs& in) {
  return CheckState(in.history, *in.records, in.context);
}

CheckerResult RunOrder(const CheckInputs& in) {
  return CheckOrder(in.history, *in.records, in.context, in.job);
}

CheckerResult RunWindows(const CheckInputs& in) {
  return CheckWindows(in.history, *in.windows, in.context);
}

CheckerResult RunVisibility(const CheckInputs& in) {
  if (in.job == kWindow) return CheckWindowVisibility(in.history, *in.windows, in.context);
  return CheckVisibility(in.history, *in.records, in.context);
}

CheckerResult RunAvailability(const CheckInputs& in) {
  if (in.job == kWindow) {
    return CheckAvailability(in.history, [&](uint32_t i) { return in.windows->delivered_t(i); });
  }
  return CheckAvailability(in.history, [&](uint32_t i) { return in.records->delivered_t(i); });
}

// One case per checker: a checker added to CheckerId and not here is a -Wswitch warning and
// an abort on the first use of the registry.
CheckerSpec Describe(CheckerId id) {
  switch (id) {
    case CheckerId::kDelivery:
      return {id,
              "delivery",
              {"lost", "duplicated", "unexpected", "delivered-after-fail"},
              {kCount, kWindow, kDelivery},
              RunDelivery};
    case CheckerId::kState:
      return {id,
              "state",
              {"count-repeat", "count-gap", "count-regression", "overcount"},
              {kCount},
              RunState};
    case CheckerId::kOrder:
      return {id, "order", {"violations"}, {kCount, kDelivery}, RunOrder};
    case CheckerId::kWindows:
      return {id, "windows", {"mismatched"}, {kWindow}, RunWindows};
    case CheckerId::kVisibility:
      return {id,
              "visibility",
              {"aborted-reads", "retracted"},
              {kCount, kWindow, kDelivery},
              RunVisibility};
    case CheckerId::kAvailability:
      return {id, "availability", {}, {kCount, kWindow, kDelivery}, RunAvailability};
  }
  std::abort();
}

}  // namespace

bool CheckerSpec::AppliesTo(JobKind job) const {
  return std::find(jobs.begin(), jobs.end(), job) != jobs.end();
}

const std::vector<CheckerSpec>& Checkers() {
  static const std::vector<CheckerSpec> specs = [] {
    std::vector<CheckerSpec> v;
    for (CheckerId id : kAllCheckers) v.push_back(Describe(id));
    return v;
  }();
  return specs;
}

const CheckerSpec& SpecOf(CheckerId id) { return Checkers()[static_cast<size_t>(id)]; }

const CheckerSpec* FindChecker(std::string_view name) {
  for (const CheckerSpec& spec : Checkers()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const std::vector<std::string>& CheckerNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const CheckerSpec& spec : Checkers()) v.emplace_back(spec.name);
    return v;
  }();
  return names;
}

CheckerResult NewCheckerResult(CheckerId id) {
  const CheckerSpec& spec = SpecOf(id);
  CheckerResult r;
  r.name = std::string(spec.name);
  r.id = id;
  for (std::string_view kind : spec.kinds) r.anomalies.push_back({std::string(kind), 0, {}});
  return r;
}

}  // namespace faultline::checkers
