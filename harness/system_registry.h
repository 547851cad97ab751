#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "harness/scenario.h"
#include "systems/system.h"

namespace faultline::harness {

// What the harness knows when it makes a system for a run.
struct SystemOptions {
  std::string node_binary;  // the built-in runtime's faultline-node
};

// One kind of system a scenario can name in `"system": {"kind": ...}` (docs/systems/). A new
// kind is its folder under systems/ plus one row of SystemKinds().
struct SystemKind {
  std::string_view name;
  std::string_view summary;
  // Checks the scenario's settings for this kind (its `system` members but `kind`, and what
  // else it reads) and resolves what must not depend on where the scenario is read from (a
  // path relative to the scenario file), so that its resolved form replays from anywhere;
  // errors name `source` and the JSON path.
  Status (*prepare)(Scenario* scenario, const std::string& source);
  // The system for one run of `scenario`.
  Result<std::unique_ptr<systems::System>> (*make)(const Scenario& scenario,
                                                   const SystemOptions& options);
  // For a shrink: takes one node out of `scenario` that its fixed plan does not target, or
  // returns false (also when the kind's node count is not the scenario's to choose). nullptr:
  // never.
  bool (*fewer_nodes)(Scenario* scenario) = nullptr;
};

const std::vector<SystemKind>& SystemKinds();
// The kind called `name`, or nullptr.
const SystemKind* FindSystemKind(std::string_view name);
std::vector<std::string> SystemKindNames();

}  // namespace faultline::harness
