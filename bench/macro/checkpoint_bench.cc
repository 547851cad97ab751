// Checkpoint cost: each state backend's Snapshot() against state size, called directly.
#include <string>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "bench/macro/macro_bench.h"
#include "runtime/key_groups.h"
#include "runtime/state_backend.h"

namespace faultline::bench {
namespace {

constexpr int kMaxParallelism = 128;

// Fills a backend of `kind` with `keys` count entries (as the count operator stores them),
// snapshots it, and opens a new backend from the snapshot.
Result<nlohmann::json> SnapshotCost(const std::string& dir, runtime::StateBackendKind kind,
                                    int64_t keys) {
  const runtime::KeyGroupRange all{0, kMaxParallelism - 1};
  ASSIGN_OR_RETURN(auto backend, runtime::OpenStateBackend(kind, JoinPath(dir, "work"), all, {}));
  Stopwatch fill;
  for (int64_t i = 0; i < keys; ++i) {
    std::string key = "k" + std::to_string(i);
    std::string value = std::to_string(i % 1000 + 1);
    RETURN_IF_ERROR(backend->Put(runtime::KeyGroupOf(key, kMaxParallelism), key, value));
  }
  const double fill_s = fill.ElapsedSeconds();
  const std::string snap_dir = JoinPath(dir, "snapshot");
  Stopwatch snap;
  ASSIGN_OR_RETURN(std::vector<runtime::SnapshotFile> files, backend->Snapshot(snap_dir));
  const double snapshot_ms = snap.ElapsedSeconds() * 1000;
  uint64_t bytes = 0;
  for (const auto& f : files) bytes += f.size;
  backend.reset();
  Stopwatch restore;
  ASSIGN_OR_RETURN(auto restored, runtime::OpenStateBackend(kind, JoinPath(dir, "restored"), all,
                                                            runtime::WholeDirectories({snap_dir})));
  const double restore_ms = restore.ElapsedSeconds() * 1000;
  if (static_cast<int64_t>(restored->ApproximateEntries()) < keys / 2) {
    return Status::Internal("restored backend holds " +
                            std::to_string(restored->ApproximateEntries()) + " of " +
                            std::to_string(keys) + " keys");
  }
  restored.reset();
  RETURN_IF_ERROR(RemoveAll(dir));
  return nlohmann::json{{"keys", keys},          {"snapshot_ms", snapshot_ms}, {"bytes", bytes},
                        {"files", files.size()}, {"restore_ms", restore_ms},   {"fill_s", fill_s}};
}

}  // namespace

Result<nlohmann::json> MeasureCheckpoints(const BenchOptions& options) {
  nlohmann::json out = nlohmann::json::object();
  for (auto kind : {runtime::StateBackendKind::kMemory, runtime::StateBackendKind::kRocksDb}) {
    std::string name = kind == runtime::StateBackendKind::kMemory ? "memory" : "rocksdb";
    out[name] = nlohmann::json::array();
    for (int64_t keys : options.checkpoint_keys) {
      std::string dir =
          JoinPath(options.work_dir, "checkpoint-" + name + "-" + std::to_string(keys));
      ASSIGN_OR_RETURN(nlohmann::json row, SnapshotCost(dir, kind, keys));
      FL_LOG(Info) << "checkpoint " << name << " " << keys << " keys: " << row["snapshot_ms"]
                   << " ms, " << row["bytes"] << " bytes";
      out[name].push_back(std::move(row));
    }
  }
  return out;
}

}  // namespace faultline::bench
