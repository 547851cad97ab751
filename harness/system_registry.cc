#include "harness/system_registry.h"

#include "systems/faultline/faultline_system.h"
#include "systems/mosquitto/mosquitto_system.h"

namespace faultline::harness {
namespace {

// The built-in runtime takes its settings from the scenario's `cluster` and `job`.
Status ValidateFaultline(const Scenario& s, const std::string& source) {
  for (const auto& [key, value] : s.system_params.items()) {
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

// Settings of other systems live in their `system` object; the runtime's keys are refused.
Status RefuseRuntimeKeys(const Scenario& s, const std::string& source) {
  if (!s.job.empty()) {
    return Status::InvalidArgument(source + ": $.job: only the built-in runtime (kind faultline) " +
                                   "has a job; system '" + s.system + "' takes its settings " +
                                   "from $.system");
  }
  return Status::Ok();
}

Status ValidateMosquitto(const Scenario& s, const std::string& source) {
  RETURN_IF_ERROR(RefuseRuntimeKeys(s, source));
  return systems::ParseMosquittoOptions(s.system_params, source).status();
}

Result<std::unique_ptr<systems::System>> MakeMosquitto(const Scenario& s, const SystemOptions&) {
  ASSIGN_OR_RETURN(systems::MosquittoOptions o,
                   systems::ParseMosquittoOptions(s.system_params, "scenario"));
  return std::unique_ptr<systems::System>(new systems::MosquittoSystem(std::move(o)));
}

}  // namespace

const std::vector<SystemKind>& SystemKinds() {
  static const std::vector<SystemKind> kinds = {
      {"faultline", "the built-in stream runtime (docs/systems/faultline.md)", ValidateFaultline,
       MakeFaultline},
      {"mosquitto", "a real MQTT broker, QoS 0/1/2 (docs/systems/mosquitto.md)", ValidateMosquitto,
       MakeMosquitto},
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
