#include "bench/macro/bench_cluster.h"

#include "base/clock.h"
#include "base/file.h"
#include "base/rng.h"
#include "runtime/input_log.h"

namespace faultline::bench {

Result<std::unique_ptr<systems::RuntimeCluster>> CreateBenchCluster(
    const std::string& dir, const ClusterSpec& spec, const std::string& node_binary) {
  if (PathExists(dir)) return Status::InvalidArgument(dir + " already exists");
  systems::RuntimeClusterOptions o;
  o.data_dir = dir;
  o.nodes_dir = dir;
  o.mode = spec.mode;
  o.workers = spec.workers;
  o.node_binary = node_binary;
  o.job = {
      {"state_backend", spec.backend == runtime::StateBackendKind::kMemory ? "memory" : "rocksdb"},
      {"checkpoint", {{"interval_ms", spec.checkpoint_interval_ms}}}};
  o.source = "bench";
  return systems::RuntimeCluster::Create(o);
}

Status StartBenchCluster(systems::RuntimeCluster& cluster, int64_t timeout_ms) {
  RETURN_IF_ERROR(cluster.StartAll());
  return cluster.AwaitRunning(Deadline::AfterMillis(timeout_ms));
}

Status Preload(const runtime::ClusterConfig& config, uint64_t first_id, int64_t count, int64_t keys,
               uint64_t seed) {
  ASSIGN_OR_RETURN(runtime::InputLogWriter writer,
                   runtime::InputLogWriter::Open(config.input_dir, config.job.partitions));
  Rng rng(seed);
  const int64_t now = WallMillis();
  for (int64_t i = 0; i < count; ++i) {
    runtime::InputRecord r;
    r.id = first_id + static_cast<uint64_t>(i);
    r.key = "k" + std::to_string(rng.Uniform(static_cast<uint64_t>(keys)));
    r.event_time = now;
    RETURN_IF_ERROR(writer.Append(r, runtime::PartitionOf(r.id, config.job.partitions)).status());
  }
  return writer.Sync();
}

Status PollCommitted(runtime::OutputTailer& output, std::vector<runtime::OutputEntry>* entries) {
  std::vector<runtime::OutputRetraction> retracted;
  RETURN_IF_ERROR(output.Poll(entries, &retracted));
  if (!retracted.empty()) {
    return Status::Internal("committed output retracted from " + retracted.front().file);
  }
  return Status::Ok();
}

}  // namespace faultline::bench
