#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "runtime/config.h"

namespace faultline::runtime {

// How a coordinator starts: the checkpoint its first deployment restores (a rollback; none:
// the latest completed one) and, to rescale the job, the operator and sink parallelisms it
// deploys at instead of the config's. State moves between subtasks by key group
// (docs/design.md, "Rescaling").
struct CoordinatorOptions {
  std::optional<int64_t> restore_id;
  std::optional<int> operator_parallelism;
  std::optional<int> sink_parallelism;
};

// The job a coordinator deploys: `job` with the options' parallelisms. InvalidArgument, naming
// the flag, when one is outside [1, max_parallelism].
Result<JobConfig> DeployedJob(const JobConfig& job, const CoordinatorOptions& options);

// Runs the coordinator until SIGTERM/SIGINT. It accepts workers, deploys the job once enough
// slots are registered (restoring from the latest completed checkpoint, or the options'
// restore_id for the first deployment, at the options' parallelism), triggers checkpoints and
// completes them (writing _metadata last, then notifying the tasks), detects lost workers by
// heartbeat and connection loss, and fails over by cancelling every task and redeploying from the
// latest completed checkpoint after the restart strategy's delay. Its attempt counter is durable,
// so a restarted coordinator fences everything of its predecessor's attempts.
Status RunCoordinator(const ClusterConfig& config, const CoordinatorOptions& options);

}  // namespace faultline::runtime
