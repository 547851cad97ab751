#include "harness/system_registry.h"

#include "systems/faultline/faultline_system.h"

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

}  // namespace

const std::vector<SystemKind>& SystemKinds() {
  static const std::vector<SystemKind> kinds = {
      {"faultline", "the built-in stream runtime (docs/systems/faultline.md)", ValidateFaultline,
       MakeFaultline},
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
