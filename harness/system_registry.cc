#include "harness/system_registry.h"

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "base/file.h"
#include "systems/command/command_system.h"
#include "systems/faultline/faultline_system.h"
#include "systems/mosquitto/mosquitto_system.h"

namespace faultline::harness {
namespace {

// The built-in runtime takes its settings from the scenario's `cluster` and `job`.
Status PrepareFaultline(Scenario* s, const std::string& source) {
  for (const auto& [key, value] : s->system_params.items()) {
    return Status::InvalidArgument(source + ": $.system." + key +
                                   ": unknown key (the built-in runtime takes its settings from "
                                   "\"cluster\" and \"job\")");
  }
  return Status::Ok();
}

Result<std::unique_ptr<systems::System>> MakeFaultline(const Scenario& s,
                                                       const SystemOptions& options) {
  systems::FaultlineSystemOptions o;
  o.workers = s.workers;
  o.slots = s.slots;
  o.job = s.job;
  o.quiesce_checkpoints = s.quiesce_checkpoints;
  o.node_binary = options.node_binary;
  return std::unique_ptr<systems::System>(new systems::FaultlineSystem(std::move(o)));
}

// The last worker goes when no fault of the plan names it (the job's tasks must still fit).
bool FewerFaultlineWorkers(Scenario* s) {
  if (s->workers <= 1 || !s->plan) return false;
  const std::string last = "worker-" + std::to_string(s->workers);
  for (const PlannedFault& f : *s->plan) {
    if (std::find(f.targets.begin(), f.targets.end(), last) != f.targets.end()) return false;
  }
  --s->workers;
  return true;
}

// Settings of other systems live in their `system` object; the runtime's keys are refused.
Status RefuseRuntimeKeys(const Scenario& s, const std::string& source) {
  if (!s.job.empty()) {
    return Status::InvalidArgument(source + ": $.job: only the built-in runtime (kind faultline) " +
                                   "has a job; system '" + s.system + "' takes its settings " +
                                   "from $.system");
  }
  return Status::Ok();
}

Status PrepareMosquitto(Scenario* s, const std::string& source) {
  RETURN_IF_ERROR(RefuseRuntimeKeys(*s, source));
  return systems::ParseMosquittoOptions(s->system_params, source).status();
}

Result<std::unique_ptr<systems::System>> MakeMosquitto(const Scenario& s, const SystemOptions&) {
  ASSIGN_OR_RETURN(systems::MosquittoOptions o,
                   systems::ParseMosquittoOptions(s.system_params, "scenario"));
  return std::unique_ptr<systems::System>(new systems::MosquittoSystem(std::move(o)));
}

// Replaces {scenario_dir} in every string of `j` by `dir`.
void ResolveScenarioDir(nlohmann::json* j, const std::string& dir) {
  if (j->is_string()) {
    std::string v = j->get<std::string>();
    for (size_t at; (at = v.find("{scenario_dir}")) != std::string::npos;) v.replace(at, 14, dir);
    *j = v;
  }
  if (j->is_array() || j->is_object()) {
    for (auto& item : *j) ResolveScenarioDir(&item, dir);
  }
}

Status PrepareCommand(Scenario* s, const std::string& source) {
  RETURN_IF_ERROR(RefuseRuntimeKeys(*s, source));
  // The adapters ship beside the scenario: {scenario_dir} becomes its absolute directory.
  std::string dir = source.find('/') == std::string::npos ? "." : DirName(source);
  char resolved[PATH_MAX];
  if (::realpath(dir.c_str(), resolved) != nullptr) dir = resolved;
  ResolveScenarioDir(&s->system_params, dir);
  return systems::ParseCommandOptions(s->system_params, source).status();
}

Result<std::unique_ptr<systems::System>> MakeCommand(const Scenario& s, const SystemOptions&) {
  ASSIGN_OR_RETURN(systems::CommandOptions o,
                   systems::ParseCommandOptions(s.system_params, "scenario"));
  return std::unique_ptr<systems::System>(new systems::CommandSystem(std::move(o)));
}

}  // namespace

const std::vector<SystemKind>& SystemKinds() {
  static const std::vector<SystemKind> kinds = {
      {"faultline", "the built-in stream runtime (docs/systems/faultline.md)", PrepareFaultline,
       MakeFaultline, FewerFaultlineWorkers},
      {"mosquitto", "a real MQTT broker, QoS 0/1/2 (docs/systems/mosquitto.md)", PrepareMosquitto,
       MakeMosquitto},
      {"command", "a user's own system through adapter programs (docs/systems/command.md)",
       PrepareCommand, MakeCommand},
  };
  return kinds;
}

const SystemKind* FindSystemKind(std::string_view name) {
  for (const SystemKind& k : SystemKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::vector<std::string> SystemKindNames() {
  std::vector<std::string> names;
  for (const SystemKind& k : SystemKinds()) names.emplace_back(k.name);
  return names;
}

}  // namespace faultline::harness
