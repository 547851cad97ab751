// What the macro benchmarks add to the runtime's cluster driver (systems/faultline): the
// keyed count job as they run it, and pre-loaded input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/config.h"
#include "runtime/sink.h"
#include "systems/faultline/runtime_cluster.h"

namespace faultline::bench {

// What to run: the keyed count job, memory state unless told otherwise.
struct ClusterSpec {
  runtime::Mode mode = runtime::Mode::kExactlyOnce;
  runtime::StateBackendKind backend = runtime::StateBackendKind::kMemory;
  int workers = 2;
  int64_t checkpoint_interval_ms = 1000;
};

// A cluster of `spec` whose files and node directories are all under `dir` (which must not
// exist yet), on loopback; not started.
Result<std::unique_ptr<systems::RuntimeCluster>> CreateBenchCluster(const std::string& dir,
                                                                    const ClusterSpec& spec,
                                                                    const std::string& node_binary);

// Starts every node and waits until the job runs.
Status StartBenchCluster(systems::RuntimeCluster& cluster, int64_t timeout_ms = 60'000);

// Appends `count` records with ids [first_id, first_id + count) over `keys` keys (seeded) to
// the cluster's input log and syncs it.
Status Preload(const runtime::ClusterConfig& config, uint64_t first_id, int64_t count, int64_t keys,
               uint64_t seed);

// One poll of committed output; a retraction (no fault of a benchmark takes output back) is an
// error.
Status PollCommitted(runtime::OutputTailer& output, std::vector<runtime::OutputEntry>* entries);

}  // namespace faultline::bench
