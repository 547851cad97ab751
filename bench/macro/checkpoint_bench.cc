// Checkpoint cost: each state backend's Snapshot() against state size, called directly, and
// what RocksDB's incremental checkpoints save.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "base/rng.h"
#include "bench/macro/interleave.h"
#include "bench/macro/macro_bench.h"
#include "runtime/key_groups.h"
#include "runtime/state_backend.h"

namespace faultline::bench {
namespace {

constexpr int kMaxParallelism = 128;

// Milliseconds to open a backend of `kind` from `source` (a restore), checked to hold `keys`
// entries.
Result<double> RestoreMs(runtime::StateBackendKind kind, const std::string& work,
                         const runtime::SnapshotSource& source, int64_t keys) {
  const runtime::KeyGroupRange all{0, kMaxParallelism - 1};
  Stopwatch watch;
  ASSIGN_OR_RETURN(auto restored, runtime::OpenStateBackend(kind, work, all, {source}));
  const double ms = watch.ElapsedSeconds() * 1000;
  if (static_cast<int64_t>(restored->ApproximateEntries()) < keys / 2) {
    return Status::Internal("restored backend holds " +
                            std::to_string(restored->ApproximateEntries()) + " of " +
                            std::to_string(keys) + " keys");
  }
  restored.reset();
  RETURN_IF_ERROR(RemoveAll(work));
  return ms;
}

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
  ASSIGN_OR_RETURN(double restore_ms,
                   RestoreMs(kind, JoinPath(dir, "restored"), {.dir = snap_dir}, keys));
  RETURN_IF_ERROR(RemoveAll(dir));
  return nlohmann::json{{"keys", keys},          {"snapshot_ms", snapshot_ms}, {"bytes", bytes},
                        {"files", files.size()}, {"restore_ms", restore_ms},   {"fill_s", fill_s}};
}

std::string CountKey(int64_t i) { return "k" + std::to_string(i); }

// Puts `value` under every key in `keys`.
Status PutKeys(runtime::KeyedStateBackend& backend, const std::vector<int64_t>& keys,
               const std::string& value) {
  for (int64_t i : keys) {
    const std::string key = CountKey(i);
    RETURN_IF_ERROR(backend.Put(runtime::KeyGroupOf(key, kMaxParallelism), key, value));
  }
  return Status::Ok();
}

// Bytes a snapshot added to the store: its own files and the shared files it published.
uint64_t NewBytes(const std::vector<runtime::SnapshotFile>& files, std::set<std::string>* seen) {
  uint64_t bytes = 0;
  for (const auto& f : files) {
    if (f.shared.empty() || seen->insert(f.shared).second) bytes += f.size;
  }
  return bytes;
}

// One round of the incremental benchmark: options.incremental_keys keys, a first checkpoint
// (everything new), then options.incremental_checkpoints more, each after changing
// options.incremental_changed of the keys (drawn from the seed): the bytes each one added, as
// a fraction of the first's. The state after the second checkpoint is also snapshotted in full
// (today's snapshot, no shared directory) so that the two restores can be timed in `restore`.
struct IncrementalRound {
  uint64_t first_bytes = 0;
  std::vector<double> next_over_first;  // per checkpoint after the first
  runtime::SnapshotSource incremental;  // the second checkpoint
  runtime::SnapshotSource full;         // the same state, a full snapshot
};

Result<IncrementalRound> IncrementalCheckpoints(const BenchOptions& options, const std::string& dir,
                                                Rng rng) {
  const runtime::KeyGroupRange all{0, kMaxParallelism - 1};
  ASSIGN_OR_RETURN(auto backend, runtime::OpenStateBackend(runtime::StateBackendKind::kRocksDb,
                                                           JoinPath(dir, "work"), all, {}));
  const int64_t n = options.incremental_keys;
  std::vector<int64_t> every(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) every[static_cast<size_t>(i)] = i;
  RETURN_IF_ERROR(PutKeys(*backend, every, "1"));
  IncrementalRound round;
  std::set<std::string> seen;
  const std::string shared = JoinPath(dir, "shared");
  for (int c = 0; c <= options.incremental_checkpoints; ++c) {
    if (c > 0) {
      std::vector<int64_t> changed;
      const int64_t k = static_cast<int64_t>(static_cast<double>(n) * options.incremental_changed);
      for (int64_t i = 0; i < k; ++i) changed.push_back(rng.Range(0, n - 1));
      RETURN_IF_ERROR(PutKeys(*backend, changed, std::to_string(c + 1)));
    }
    const std::string snap = JoinPath(dir, "chk-" + std::to_string(c));
    ASSIGN_OR_RETURN(
        std::vector<runtime::SnapshotFile> files,
        backend->Snapshot({.dir = snap, .shared_dir = shared, .shared_prefix = "a1-"}));
    const uint64_t added = NewBytes(files, &seen);
    if (c == 0) {
      round.first_bytes = added;
    } else {
      round.next_over_first.push_back(static_cast<double>(added) /
                                      static_cast<double>(round.first_bytes));
    }
    if (c == 1) {
      round.incremental = {.dir = snap, .shared_dir = shared, .files = files};
      const std::string full = JoinPath(dir, "full");
      RETURN_IF_ERROR(backend->Snapshot(full).status());
      round.full = {.dir = full};
    }
  }
  return round;
}

// After a full checkpoint of options.incremental_keys keys, what the next checkpoints write
// when options.incremental_changed of the keys change before each (docs/benchmarks.md,
// "Incremental checkpoints"), over options.incremental_rounds rounds; and the restore time of
// an incremental checkpoint against a full snapshot of the same state, interleaved.
Result<nlohmann::json> MeasureIncremental(const BenchOptions& options) {
  std::vector<double> second, all_next, restore_full, restore_incremental;
  std::vector<nlohmann::json> rounds;
  Rng rng(options.seed);
  for (int r = 0; r < options.incremental_rounds; ++r) {
    const std::string dir = JoinPath(options.work_dir, "incremental-" + std::to_string(r));
    ASSIGN_OR_RETURN(IncrementalRound round,
                     IncrementalCheckpoints(options, dir, rng.Fork(std::to_string(r))));
    second.push_back(round.next_over_first.front());
    all_next.insert(all_next.end(), round.next_over_first.begin(), round.next_over_first.end());
    // Alternate which restore goes first, so that neither always meets a warm page cache.
    for (int order = 0; order < 2; ++order) {
      const bool full_first = (r + order) % 2 == 0;
      ASSIGN_OR_RETURN(
          double ms,
          RestoreMs(runtime::StateBackendKind::kRocksDb, JoinPath(dir, "restore"),
                    full_first ? round.full : round.incremental, options.incremental_keys));
      (full_first ? restore_full : restore_incremental).push_back(ms);
    }
    rounds.push_back(
        {{"first_bytes", round.first_bytes}, {"next_over_first", round.next_over_first}});
    RETURN_IF_ERROR(RemoveAll(dir));
  }
  double mean = 0;
  for (double v : all_next) mean += v / static_cast<double>(all_next.size());
  return nlohmann::json{
      {"keys", options.incremental_keys},
      {"changed", options.incremental_changed},
      {"checkpoints", options.incremental_checkpoints},
      {"second_over_first", SpreadJson(second)},
      {"next_over_first_mean", mean},
      {"next_over_first_max", *std::max_element(all_next.begin(), all_next.end())},
      {"restore_full_ms", SpreadJson(restore_full)},
      {"restore_incremental_ms", SpreadJson(restore_incremental)},
      {"restore_incremental_over_full", RatioJson(restore_incremental, restore_full)},
      {"rounds", rounds}};
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
  ASSIGN_OR_RETURN(out["incremental"], MeasureIncremental(options));
  FL_LOG(Info) << "incremental checkpoint: second / first "
               << out["incremental"]["second_over_first"]["median"]
               << ", restore incremental / full "
               << out["incremental"]["restore_incremental_over_full"]["median"];
  return out;
}

}  // namespace faultline::bench
