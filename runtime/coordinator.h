#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "runtime/config.h"

namespace faultline::runtime {

// Runs the coordinator until SIGTERM/SIGINT. It accepts workers, deploys the job once enough
// slots are registered (restoring from the latest completed checkpoint, or `restore_id` for
// the first deployment), triggers checkpoints and completes them (writing _metadata last, then
// notifying the tasks), detects lost workers by heartbeat and connection loss, and fails over
// by cancelling every task and redeploying from the latest completed checkpoint after the
// restart strategy's delay. Its attempt counter is durable, so a restarted coordinator fences
// everything of its predecessor's attempts.
Status RunCoordinator(const ClusterConfig& config, std::optional<int64_t> restore_id);

}  // namespace faultline::runtime
