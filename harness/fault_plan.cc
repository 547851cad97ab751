#include "harness/fault_plan.h"

#include <algorithm>
#include <set>

#include "base/json.h"
#include "base/version.h"
#include "harness/scenario.h"

namespace faultline::harness {

using faults::FaultKind;

namespace {

bool OfDisk(const PlannedFault& f) {
  return f.kind == FaultKind::kFsError || f.kind == FaultKind::kFsSlow ||
         f.kind == FaultKind::kDisk;
}

std::string Describe(const PlannedFault& f) {
  std::string targets;
  for (const auto& t : f.targets) targets += (targets.empty() ? "" : ",") + t;
  return "the " + f.fault + " of " + targets + " (key " + f.key + ")";
}

}  // namespace

std::string PlanConflict(const std::vector<PlannedFault>& kept, const PlannedFault& f,
                         int max_active) {
  int overlapping = 0;
  for (const PlannedFault& k : kept) {
    if (k.end_s <= f.begin_s) continue;  // `kept` began no later than `f`
    ++overlapping;
    if (OfDisk(f) != OfDisk(k)) continue;
    for (const auto& t : f.targets) {
      if (std::find(k.targets.begin(), k.targets.end(), t) != k.targets.end())
        return "overlaps " + Describe(k) + " on " + t + ": a node takes one fault at a time";
    }
  }
  if (overlapping >= max_active) {
    return "would be fault " + std::to_string(overlapping + 1) +
           " active at once, above max_active_faults (" + std::to_string(max_active) + ")";
  }
  return "";
}

nlohmann::json PlanToJson(const std::vector<PlannedFault>& plan) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const PlannedFault& f : plan) {
    nlohmann::ordered_json j = {{"key", f.key},         {"fault", f.fault}, {"targets", f.targets},
                                {"begin_s", f.begin_s}, {"end_s", f.end_s}, {"params", f.params}};
    out.push_back(std::move(j));
  }
  return nlohmann::json(out);
}

nlohmann::json PlanFileJson(const FaultSchedule& schedule, const std::string& scenario,
                            const std::string& mode, uint64_t seed, bool fixed) {
  nlohmann::ordered_json j = {{"faultline_version", kVersion},
                              {"scenario", scenario},
                              {"mode", mode},
                              {"seed", seed},
                              {"source", fixed ? "plan" : "nemesis"},
                              {"faults", PlanToJson(schedule.faults)},
                              {"dropped", PlanToJson(schedule.dropped)}};
  return j;
}

Result<std::vector<PlannedFault>> ParsePlan(const nlohmann::json& plan, const std::string& path,
                                            const std::string& source, double duration_s,
                                            int max_active) {
  if (!plan.is_array()) {
    return Status::InvalidArgument(source + ": " + path + ": expected an array of faults, got " +
                                   JsonTypeName(plan));
  }
  std::vector<PlannedFault> faults;
  std::set<std::string> keys;
  for (size_t i = 0; i < plan.size(); ++i) {
    PlannedFault f;
    f.origin = path + "[" + std::to_string(i) + "]";
    JsonObject o(plan[i], f.origin, source);
    RETURN_IF_ERROR(
        o.Enum("fault", &f.fault, faults::FaultKindNames(), JsonObject::Need::kRequired));
    f.kind = *faults::ParseFaultKind(f.fault);
    f.key = "plan-" + std::to_string(i);
    RETURN_IF_ERROR(o.String("key", &f.key));
    if (f.key.empty()) return o.Error("key", "expected a non-empty string");
    if (!keys.insert(f.key).second) return o.Error("key", "\"" + f.key + "\" is used twice");
    const nlohmann::json* targets = o.Raw("targets");
    if (targets == nullptr || !targets->is_array())
      return o.Error("targets", "expected a list of node ids");
    for (size_t t = 0; t < targets->size(); ++t) {
      const nlohmann::json& id = (*targets)[t];
      if (!id.is_string() || id.get<std::string>().empty())
        return o.Error("targets[" + std::to_string(t) + "]", "expected a node id");
      f.targets.push_back(id.get<std::string>());
    }
    if (f.targets.empty()) return o.Error("targets", "expected at least one node id");
    RETURN_IF_ERROR(o.Double("begin_s", &f.begin_s, JsonObject::Need::kRequired));
    RETURN_IF_ERROR(o.Double("end_s", &f.end_s, JsonObject::Need::kRequired));
    if (f.begin_s < 0 || f.begin_s >= duration_s) {
      return o.Error("begin_s",
                     "expected seconds in [0, duration_s = " + std::to_string(duration_s) + ")");
    }
    if (f.end_s < f.begin_s) return o.Error("end_s", "expected a number >= begin_s");
    if (const nlohmann::json* p = o.Raw("params")) {
      if (!p->is_object()) return o.Error("params", "expected an object");
      f.params = *p;
    }
    if (f.kind == FaultKind::kDisk)
      RETURN_IF_ERROR(DiskFailpoint(f.params, o.PathOf("params"), source).status());
    RETURN_IF_ERROR(o.Finish());
    faults.push_back(std::move(f));
  }
  std::stable_sort(faults.begin(), faults.end(),
                   [](const auto& a, const auto& b) { return a.begin_s < b.begin_s; });
  std::vector<PlannedFault> kept;
  for (PlannedFault& f : faults) {
    if (std::string why = PlanConflict(kept, f, max_active); !why.empty())
      return Status::InvalidArgument(source + ": " + f.origin + ": " + why);
    f.id = static_cast<int>(kept.size());
    kept.push_back(std::move(f));
  }
  return kept;
}

}  // namespace faultline::harness
