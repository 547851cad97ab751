#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "harness/history.h"
#include "harness/node_control.h"
#include "harness/scenario.h"

namespace faultline::harness {

class ClusterNetwork;

// One planned fault: what, on which nodes, from when to when (seconds since the generate phase
// began). The whole schedule is drawn from the run's seed before the run starts, so the same
// seed replays the same faults at the same times on the same targets.
struct PlannedFault {
  int id = 0;          // position in the plan
  int spec_index = 0;  // into Scenario::nemesis
  std::string fault;
  std::vector<std::string> targets;
  double begin_s = 0;
  double end_s = 0;
  nlohmann::json params;
};

// Draws the schedule: fixed (at_s), periodic (every_s from start_s) and seeded random times
// (exponential gaps with mean_interval_s); targets resolved from the seed; at most
// `max_active` faults overlap (later ones that would exceed it are dropped); nothing begins
// after `duration_s`. Sorted by begin time. Pure function of its arguments.
Result<std::vector<PlannedFault>> PlanFaults(const Scenario& scenario,
                                             const std::vector<std::string>& workers, Rng rng);

// Nodes the nemesis can act on, by id ("coordinator", "worker-1", ...).
using NodeMap = std::map<std::string, std::unique_ptr<NodeProcess>>;

// FaultActions carries out faults on the cluster. Begin() starts a fault, End() heals it;
// both record the matching history events. Process faults (kill, terminate, pause, restart)
// act on NodeProcess; failpoint faults arm a runtime failpoint over the node's admin channel,
// and disk faults arm the storage layer's failpoints the same way (see DiskFailpoint); link
// faults (partition, delay, reset, bandwidth, barrier-hold, corrupt) go to the network's link
// backend, and Validate() refuses, before the run starts, those the backend cannot carry out.
// Driven from the harness's main thread only.
class FaultActions {
 public:
  virtual ~FaultActions() = default;
  virtual Status Validate(const PlannedFault& fault) = 0;
  virtual Status Begin(const PlannedFault& fault) = 0;
  virtual Status End(const PlannedFault& fault) = 0;
};

// Carries out faults on `nodes` through `network` (admin calls, link faults).
std::unique_ptr<FaultActions> MakeClusterFaultActions(NodeMap* nodes, HistoryWriter* history,
                                                      ClusterNetwork* network, Rng rng);

// Runs a schedule against the clock: call Tick() often; it begins and ends faults whose time
// has come. HealAll() ends every active fault (the heal phase).
class NemesisRunner {
 public:
  NemesisRunner(std::vector<PlannedFault> plan, FaultActions* actions, int64_t start_mono_ns)
      : plan_(std::move(plan)), actions_(actions), start_ns_(start_mono_ns) {}

  Status Tick();
  Status HealAll();
  std::vector<std::string> ActiveDescriptions() const;

 private:
  std::vector<PlannedFault> plan_;
  FaultActions* actions_;
  int64_t start_ns_;
  size_t next_ = 0;
  std::vector<PlannedFault> active_;
};

}  // namespace faultline::harness
