#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/state_backend.h"

namespace faultline::runtime {

// What one task stored for a checkpoint: its files, relative to chk-N/<task>/.
struct TaskSnapshot {
  std::string task;  // "source-0", "operator-1", "sink-0"
  std::vector<SnapshotFile> files;
};

// The _metadata of a completed checkpoint. A checkpoint exists iff its _metadata does:
// it is written last, atomically, by the coordinator, once every task has acknowledged.
struct CheckpointMetadata {
  int64_t id = 0;
  int64_t attempt = 0;
  int64_t completed_wall_ms = 0;
  std::string mode;
  int source_parallelism = 0;
  int operator_parallelism = 0;
  int sink_parallelism = 0;
  int max_parallelism = kDefaultMaxParallelism;  // the key groups the state is split into
  std::vector<TaskSnapshot> tasks;

  const TaskSnapshot* Find(const std::string& task) const;
  std::string ToJson() const;
  static Result<CheckpointMetadata> Parse(std::string_view json, const std::string& source);
};

// What CheckpointStore::SelectRestore chose.
struct RestoreChoice {
  std::optional<CheckpointMetadata> checkpoint;  // nullopt: start from scratch
  int64_t newest = 0;                            // the newest completed checkpoint; 0: none
  bool rollback = false;                         // chosen explicitly, older than the newest
  // True when the restore goes back past the newest completed checkpoint, whose output may
  // have been committed: the replay emits that output again.
  bool GoesBack() const { return newest > (checkpoint ? checkpoint->id : 0); }
};

// What CheckpointStore::Prune removed.
struct PruneResult {
  std::vector<int64_t> removed;  // checkpoint ids
  int64_t shared_files_deleted = 0;
  uint64_t shared_bytes_deleted = 0;
};

// A SnapshotFile as _metadata (ordered_json) and the tasks' acknowledgements (json) carry it.
template <typename Json = nlohmann::json>
Json SnapshotFileJson(const SnapshotFile& file) {
  Json j = {{"name", file.name}, {"size", file.size}, {"crc32c", file.crc32c}};
  if (!file.shared.empty()) j["shared"] = file.shared;
  return j;
}

// True for a failure to verify a checkpoint that will not pass by retrying (corrupt or missing
// files), as opposed to an I/O error of the moment.
bool IsUnreadableCheckpoint(const Status& why);

// CheckpointStore is the checkpoints/ directory: chk-<N>/<task>/... state files written by the
// tasks, chk-<N>/_metadata written by the coordinator, and shared/: the files of incremental
// snapshots, each referred to by every checkpoint whose _metadata lists it. A shared file's
// reference count is the number of completed checkpoints on disk that list it, read from their
// _metadata rather than kept beside them, so that no crash can leave a count that disagrees
// with the checkpoints (docs/design.md, "Incremental checkpoints"). Stateless over the
// filesystem, so any process (a restarted coordinator, a restoring task) sees the same
// checkpoints. Thread-safe (no mutable state).
class CheckpointStore {
 public:
  explicit CheckpointStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string Dir(int64_t id) const;
  std::string TaskDir(int64_t id, const std::string& task) const;
  std::string SharedDir() const;

  Status WriteMetadata(const CheckpointMetadata& meta) const;
  Result<CheckpointMetadata> ReadMetadata(int64_t id) const;
  // Ids of checkpoints with _metadata, ascending.
  Result<std::vector<int64_t>> ListCompleted() const;
  // Highest id of any chk-N directory, complete or not (0 when none): new ids go above it.
  Result<int64_t> MaxId() const;
  // Checks every file of every task against its recorded size and CRC.
  Status Verify(const CheckpointMetadata& meta) const;
  // Which checkpoint a deployment restores from (docs/design.md, "Committed output is
  // final"). Output may have been committed for the newest completed checkpoint, so that is
  // the one: restoring an older one would replay, and emit a second time, output readers may
  // already have consumed. `wanted` names one explicitly (a rollback, `--restore chk-N`).
  // When the newest does not verify (unreadable metadata, a missing file, a CRC mismatch),
  // the result is an error saying so, unless `fall_back`: then every newer checkpoint that
  // fails is reported to `on_skip` and passed over. An I/O error that may pass (EIO, say) is
  // returned as it is, never a reason to go back.
  Result<RestoreChoice> SelectRestore(
      std::optional<int64_t> wanted, bool fall_back,
      const std::function<void(int64_t id, const Status& why)>& on_skip) const;
  // Removes chk-<id>: its _metadata first (durably), so that a crash midway leaves a directory
  // that is no checkpoint, never a checkpoint with files missing. Its shared files stay.
  Status Remove(int64_t id) const;
  // Removes every completed checkpoint but the newest `retained`, then, with
  // `collect_shared`, deletes each shared file that no completed checkpoint on disk lists (not
  // one of the removed ones' alone, but also leftovers of checkpoints that never completed
  // and of a prune a crash cut short). The caller passes collect_shared only while no
  // checkpoint is in progress: a snapshot being taken may have written shared files that no
  // _metadata lists yet. A _metadata that cannot be read stops the collection (its references
  // are unknown) with that error; nothing is deleted then.
  Result<PruneResult> Prune(int retained, bool collect_shared) const;

 private:
  std::string root_;
};

}  // namespace faultline::runtime
