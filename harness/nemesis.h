#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "faults/fault_kind.h"
#include "harness/fault_plan.h"
#include "harness/history.h"
#include "harness/scenario.h"
#include "systems/faultfs_mounts.h"
#include "systems/network.h"
#include "systems/system.h"

namespace faultline::harness {

// The schedule of a run. A scenario's fixed `plan` is taken as it is (already checked by
// ParsePlan). A `nemesis` is drawn: fixed (at_s), periodic (every_s from start_s) and seeded
// random times (exponential gaps with mean_interval_s), targets resolved from the seed against
// `nodes` (harness/targets.h), each spec from its own stream (`rng` forked by the spec's
// index); faults kept in begin order while PlanConflict allows, the rest dropped; nothing
// begins after `duration_s`. Each fault's key is "S.N": the N-th begin of nemesis[S], counted
// before the drop, so a key never depends on what else was kept. Pure function of its
// arguments.
Result<FaultSchedule> PlanFaults(const Scenario& scenario,
                                 const std::vector<systems::NodeSpec>& nodes, Rng rng);

// FaultActions carries out faults. Begin() starts a fault on each of its targets and returns
// those where it took effect; End() heals it there. Both record the history's fault lines:
// `begin` only once a fault took effect, `failed` (with the error) where it did not, `end`
// once healed.
class FaultActions {
 public:
  virtual ~FaultActions() = default;
  // Ok when the fault can be carried out on this system and network; checked before the run.
  virtual Status Validate(const PlannedFault& fault) = 0;
  virtual std::vector<std::string> Begin(const PlannedFault& fault) = 0;
  virtual void End(const PlannedFault& fault) = 0;
};

// Carries out faults on `system`: process faults (kill, terminate, pause, restart) on its
// nodes' processes, failpoint and disk faults through its failpoints (disk faults arm the
// storage failpoints, see DiskFailpoint), link faults on `network`'s link backend, filesystem
// faults (power-loss, fs-error, fs-slow) on `faultfs` (null: the run has none). Driven from
// the harness's main thread only.
std::unique_ptr<FaultActions> MakeFaultActions(systems::System* system, systems::Network* network,
                                               systems::FaultFsMounts* faultfs,
                                               HistoryWriter* history, Rng rng);

// Runs a schedule against the clock: call Tick() often; it begins and ends faults whose time
// has come. HealAll() ends every active fault (the heal phase).
class NemesisRunner {
 public:
  NemesisRunner(std::vector<PlannedFault> plan, FaultActions* actions, int64_t start_mono_ns)
      : plan_(std::move(plan)), actions_(actions), start_ns_(start_mono_ns) {}

  void Tick();
  void HealAll();
  std::vector<std::string> ActiveDescriptions() const;

 private:
  std::vector<PlannedFault> plan_;
  FaultActions* actions_;
  int64_t start_ns_;
  size_t next_ = 0;
  std::vector<PlannedFault> active_;  // with the targets where each took effect
};

}  // namespace faultline::harness
