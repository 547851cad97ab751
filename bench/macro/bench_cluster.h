// BenchCluster: a real runtime cluster (one coordinator, N workers as `faultline-node`
// processes) for the macro benchmarks, with the helpers they need: pre-loading input, counting
// committed output as it appears, killing and restarting a worker, and reading the nodes'
// events.jsonl.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/node_control.h"
#include "runtime/config.h"
#include "runtime/sink.h"

namespace faultline::bench {

// What to run: the keyed count job, memory state unless told otherwise.
struct ClusterSpec {
  runtime::Mode mode = runtime::Mode::kExactlyOnce;
  runtime::StateBackendKind backend = runtime::StateBackendKind::kMemory;
  int workers = 2;
  int64_t checkpoint_interval_ms = 1000;
};

// One event of a node's events.jsonl.
struct NodeEvent {
  int64_t mono_ns = 0;  // CLOCK_MONOTONIC, comparable with MonotonicNanos()
  std::string node;
  std::string event;
  nlohmann::json fields;
};

// BenchCluster owns a job directory under `dir` (config, input, output, checkpoints, node data)
// and the node processes. Every node runs in its own process group, dies with this process
// (PR_SET_PDEATHSIG) and is stopped when the cluster is destroyed; every wait is bounded.
// Not thread-safe: one benchmark thread drives it (the thread that forks the nodes).
class BenchCluster {
 public:
  // Writes the config (free loopback ports) under `dir`, which must not exist yet.
  static Result<std::unique_ptr<BenchCluster>> Create(const std::string& dir,
                                                      const ClusterSpec& spec,
                                                      const std::string& node_binary);
  ~BenchCluster();
  BenchCluster(const BenchCluster&) = delete;
  BenchCluster& operator=(const BenchCluster&) = delete;

  // Appends `count` records with ids [first_id, first_id + count) over `keys` keys (seeded) to
  // the input log and syncs it.
  Status Preload(uint64_t first_id, int64_t count, int64_t keys, uint64_t seed);

  // Starts the coordinator and every worker and waits until the job runs.
  Status Start(int64_t timeout_ms = 60'000);
  // Stops every node (SIGTERM to the group, then SIGKILL after a grace period).
  void Stop();

  Status KillWorker(int index);     // SIGKILL to worker-<index>'s group, reaped
  Status RestartWorker(int index);  // starts worker-<index> again
  Status PauseWorker(int index);    // SIGSTOP to worker-<index>'s group
  Status ResumeWorker(int index);   // SIGCONT

  // The committed output records that appeared since the last call (OutputTailer).
  Status PollCommitted(std::vector<runtime::OutputEntry>* out);

  // Every event of every node so far (a torn last line is skipped).
  std::vector<NodeEvent> ReadEvents() const;

  const runtime::ClusterConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }

 private:
  BenchCluster(std::string dir, runtime::ClusterConfig config, std::string config_path,
               std::string node_binary);
  std::string dir_;
  runtime::ClusterConfig config_;
  std::string config_path_;
  std::string node_binary_;
  std::map<std::string, std::unique_ptr<harness::NodeProcess>> nodes_;
  std::unique_ptr<runtime::OutputTailer> tailer_;
};

// The `status` reply of the cluster's coordinator's admin endpoint, or an error.
Result<nlohmann::json> CoordinatorStatus(const runtime::ClusterConfig& config);

}  // namespace faultline::bench
