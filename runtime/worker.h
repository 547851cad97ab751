#pragma once

#include <string>

#include "base/status.h"
#include "runtime/config.h"

namespace faultline::runtime {

// Runs a worker process until SIGTERM/SIGINT: registers with the coordinator (reconnecting
// whenever the link drops), hosts the tasks the coordinator deploys on it, forwards their
// checkpoint acknowledgements and failures, and accepts data connections for its tasks.
// A worker that loses its coordinator for longer than the heartbeat timeout cancels its tasks,
// so that a partitioned worker cannot keep producing output for an attempt that was replaced.
Status RunWorker(const ClusterConfig& config, const std::string& worker_id);

}  // namespace faultline::runtime
