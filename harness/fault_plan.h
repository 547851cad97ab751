#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "faults/fault_kind.h"

namespace faultline::harness {

// One concrete fault of a run: what, on which nodes, from when to when (seconds since the
// generate phase began). A run's plan is either drawn from its seed and `nemesis` before the
// run starts, or given as a fixed `plan` (docs/scenarios.md, "A fixed plan"); either way it
// is stored in the run's plan.json and replays exactly from a scenario's `plan`.
struct PlannedFault {
  int id = 0;          // position in the plan: the history's fault_id
  std::string key;     // stable identity: "S.N" (nemesis[S]'s N-th begin) or a plan's key
  std::string origin;  // the JSON path it came from, for messages: "$.nemesis[2]", "$.plan[0]"
  faults::FaultKind kind = faults::FaultKind::kKill;
  std::string fault;  // the kind's name
  std::vector<std::string> targets;
  double begin_s = 0;
  double end_s = 0;
  nlohmann::json params = nlohmann::json::object();

  // The label of this fault's own random stream (a link fault's drops and jitter): from its
  // key, so that removing other faults from a plan does not change its choices.
  std::string rng_label() const { return "fault-" + key; }
};

// A run's schedule: the faults it will carry out, sorted by begin time, and those its
// nemesis drew that the PlanConflict rule dropped (shown in the report, never carried out).
struct FaultSchedule {
  std::vector<PlannedFault> faults;
  std::vector<PlannedFault> dropped;
};

// plan.json of a run directory: the schedule it carried out, with what it was drawn from:
//   {"faultline_version", "scenario", "mode", "seed", "source": "nemesis"|"plan",
//    "faults": PlanToJson(faults), "dropped": PlanToJson(dropped)}
inline constexpr const char* kPlanFile = "plan.json";
nlohmann::json PlanFileJson(const FaultSchedule& schedule, const std::string& scenario,
                            const std::string& mode, uint64_t seed, bool fixed);

// The rule that keeps a plan sane: at most `max_active` faults at once, and never two on one
// node at once but for faults of a node's disk (disk, fs-error, fs-slow), which hold whatever
// else happens to it. Plans are checked in begin order: every fault of `kept` begins no later
// than `f`. Empty when `f` may join `kept`; else why not ("overlaps the kill of worker-1 (key
// 0.1)").
std::string PlanConflict(const std::vector<PlannedFault>& kept, const PlannedFault& f,
                         int max_active);

// A plan as JSON: [{"key", "fault", "targets", "begin_s", "end_s", "params"}] in plan order,
// the form of a scenario's `plan` and of plan.json's `faults`.
nlohmann::json PlanToJson(const std::vector<PlannedFault>& plan);

// Parses a scenario's `plan` (at JSON path `path` of `source`): each fault's kind, targets
// (a non-empty list of node ids), begin_s >= 0 below `duration_s`, end_s >= begin_s, params,
// and an optional unique key ("plan-I" when absent). Sorted by begin_s; checked against
// PlanConflict with `max_active`. Errors name `source`, the JSON path and what was expected.
Result<std::vector<PlannedFault>> ParsePlan(const nlohmann::json& plan, const std::string& path,
                                            const std::string& source, double duration_s,
                                            int max_active);

}  // namespace faultline::harness
