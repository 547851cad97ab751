#pragma once

#include <string>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "systems/system.h"

namespace faultline::harness {

// Resolves a fault's `target` against the system's nodes (docs/scenarios.md, "Targets"):
//   NODE-ID          that node ("worker-1", "coordinator", "broker")
//   role:R           every node of role R
//   role:R:Q         Q of the nodes of role R: one, minority, majority, random-subset (one or
//                    more) or all
//   random-worker, all-workers           role:worker:one and role:worker (the built-in
//                                        runtime's names)
//   minority, majority, random-subset    over every node
// Random picks come from `rng`, so a seed replays them; picks are sorted, `all` keeps node
// order. InvalidArgument, listing the nodes and roles, when the target names nothing or
// selects no node.
Result<std::vector<std::string>> ResolveTargets(const std::string& target,
                                                const std::vector<systems::NodeSpec>& nodes,
                                                Rng& rng);

}  // namespace faultline::harness
