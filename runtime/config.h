#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/mode.h"
#include "base/status.h"
#include "runtime/state_backend.h"

namespace faultline::runtime {

using ::faultline::Mode;
using ::faultline::ModeName;
enum class OperatorKind { kCount, kWindowCount };

const char* OperatorName(OperatorKind kind);

struct CheckpointConfig {
  int64_t interval_ms = 1000;
  int64_t timeout_ms = 10'000;
  int64_t min_pause_ms = 0;
  int max_concurrent = 1;
  int tolerable_failures = 3;  // consecutive failed checkpoints before a failover
  int retained = 3;            // completed checkpoints kept on disk
  // When the newest completed checkpoint is unreadable: false halts the job; true restores
  // from an older one and replays output that may already be committed (docs/design.md).
  bool fallback_on_corrupt = false;
  // RocksDB state: each checkpoint writes only the SST files the previous ones lack and refers
  // to the rest in the shared directory (docs/design.md, "Incremental checkpoints"). The
  // memory backend always writes a full snapshot.
  bool incremental = true;
};

struct RestartConfig {
  enum class Strategy { kFixedDelay, kExponentialDelay };
  Strategy strategy = Strategy::kFixedDelay;
  int64_t delay_ms = 200;
  int64_t max_delay_ms = 10'000;  // exponential only
  double multiplier = 2.0;        // exponential only
  int max_attempts = 1000;        // failovers before the job is declared failed
};

struct JobConfig {
  OperatorKind op = OperatorKind::kCount;
  Mode mode = Mode::kExactlyOnce;
  int partitions = 2;  // input log partitions
  int source_parallelism = 2;
  int operator_parallelism = 2;
  int sink_parallelism = 2;
  int max_parallelism = 128;
  StateBackendKind state_backend = StateBackendKind::kMemory;
  int64_t window_size_ms = 1000;
  int64_t out_of_orderness_ms = 200;
  int batch_size = 256;           // records per data frame
  int64_t flush_interval_ms = 5;  // a partial batch waits at most this long
  int credits = 16;               // frames in flight per data channel
  CheckpointConfig checkpoint;
  RestartConfig restart;
  int TotalTasks() const { return source_parallelism + operator_parallelism + sink_parallelism; }
};

struct NodeConfig {
  std::string id;
  std::string listen;    // host:port
  std::string data_dir;  // logs, events.jsonl, local state
  int slots = 4;
};

// ClusterConfig is the one JSON file that describes a job and the processes that run it.
// Every node and tool of the runtime reads the same file.
struct ClusterConfig {
  JobConfig job;
  std::string input_dir;       // partition-<p>.log
  std::string output_dir;      // committed/ and pending/ (see sink.h)
  std::string checkpoint_dir;  // chk-<N>/
  std::string offsets_dir;     // at-most-once committed source offsets
  NodeConfig coordinator;
  std::vector<NodeConfig> workers;
  int64_t heartbeat_interval_ms = 100;
  int64_t heartbeat_timeout_ms = 800;  // 8 missed heartbeats: a hung node is lost within 1 s
  // dial[from][to] = address `from` dials to reach `to` (a proxy, say); default: to's listen.
  std::map<std::string, std::map<std::string, std::string>> dial;

  const NodeConfig* FindNode(const std::string& id) const;
  // The address node `from` connects to in order to reach node `to`.
  std::string DialAddress(const std::string& from, const std::string& to) const;
};

// Parses and validates a config; every error names `source`, the JSON path and what was
// expected. Unknown keys are errors.
Result<ClusterConfig> ParseClusterConfig(std::string_view text, const std::string& source);
Result<ClusterConfig> LoadClusterConfig(const std::string& path);
std::string ClusterConfigToJson(const ClusterConfig& config);

}  // namespace faultline::runtime
