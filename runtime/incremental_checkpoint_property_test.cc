// Incremental RocksDB checkpoints against a model, under crashes at any step: random updates,
// completed and aborted checkpoints, prunes that keep `retained` of them, crashes before
// _metadata, between two shared-file uploads and between two deletions of the garbage
// collection, a corrupt newest checkpoint that the restore falls back past, and rollbacks to an
// older retained checkpoint (the newer ones stay). Properties:
// a restart restores exactly the state of the checkpoint it chose; after a
// garbage collection the shared directory holds exactly the files some completed checkpoint
// lists; at the end every retained checkpoint verifies and restores to exactly its state.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/test_util.h"
#include "runtime/checkpoint_store.h"
#include "runtime/failpoints.h"
#include "runtime/state_backend.h"
#include "runtime/state_backend_test_util.h"

namespace faultline::runtime {
namespace {

constexpr char kTask[] = "operator-0";
constexpr char kStatePrefix[] = "state/";
const KeyGroupRange kAllGroups{0, 127};

struct Op {
  enum class Kind {
    kPut,
    kDelete,
    kCheckpoint,           // completes, then a prune with garbage collection
    kAbort,                // snapshot written, the checkpoint aborted (its directory removed)
    kCrashBeforeMetadata,  // snapshot written, the coordinator dies before _metadata
    kCrashInUpload,        // the task dies before its (skip+1)-th new shared file
    kCrashInCollection,    // the coordinator dies before its (skip+1)-th garbage deletion
    kCorruptNewest,        // a byte of the newest checkpoint's MANIFEST flips; restart
    kRollback,             // restart from an older retained checkpoint (`--restore chk-N`)
  };
  Kind kind = Kind::kPut;
  int key_group = 0;
  int key = 0;
  std::string value;
  int skip = 0;
};

std::ostream& operator<<(std::ostream& os, const Op& op) {
  static const char* kNames[] = {"put",
                                 "delete",
                                 "checkpoint",
                                 "abort",
                                 "crash-before-metadata",
                                 "crash-in-upload",
                                 "crash-in-collection",
                                 "corrupt-newest",
                                 "rollback"};
  return os << kNames[static_cast<int>(op.kind)] << "(" << op.key_group << "," << op.key << ","
            << op.skip << ")";
}

rc::Gen<Op> GenOp() {
  using K = Op::Kind;
  auto with = [](K kind) {
    return rc::gen::map(
        rc::gen::tuple(rc::gen::inRange(0, 8), rc::gen::inRange(0, 40),
                       rc::gen::nonEmpty(rc::gen::string<std::string>()), rc::gen::inRange(0, 4)),
        [kind](const std::tuple<int, int, std::string, int>& t) {
          return Op{kind, std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
        });
  };
  return rc::gen::weightedOneOf<Op>({{12, with(K::kPut)},
                                     {3, with(K::kDelete)},
                                     {6, with(K::kCheckpoint)},
                                     {1, with(K::kAbort)},
                                     {1, with(K::kCrashBeforeMetadata)},
                                     {1, with(K::kCrashInUpload)},
                                     {1, with(K::kCrashInCollection)},
                                     {1, with(K::kCorruptNewest)},
                                     {1, with(K::kRollback)}});
}

// The task's snapshot files as a restore reads them (kStatePrefix stripped).
SnapshotSource SourceOf(const CheckpointStore& store, const CheckpointMetadata& meta) {
  SnapshotSource source{.dir = JoinPath(store.TaskDir(meta.id, kTask), "state"),
                        .shared_dir = store.SharedDir()};
  for (SnapshotFile f : meta.Find(kTask)->files) {
    f.name = f.name.substr(std::string(kStatePrefix).size());
    source.files.push_back(std::move(f));
  }
  return source;
}

// One operator subtask and the coordinator's part of checkpointing, as the runtime does them
// (operator_task.cc, coordinator.cc), over a real RocksDB backend and checkpoint store.
class Job {
 public:
  explicit Job(int retained) : store_(dir_.File("checkpoints")), retained_(retained) { Restart(); }

  void Apply(const Op& op) {
    const std::string key = "k" + std::to_string(op.key);
    switch (op.kind) {
      case Op::Kind::kPut:
        RC_ASSERT(backend_->Put(op.key_group, key, op.value).ok());
        live_[{op.key_group, key}] = op.value;
        return;
      case Op::Kind::kDelete:
        RC_ASSERT(backend_->Delete(op.key_group, key).ok());
        live_.erase({op.key_group, key});
        return;
      case Op::Kind::kCheckpoint:
        Complete(Snapshot());
        Prune(/*expect_ok=*/true);
        return;
      case Op::Kind::kAbort:
        Snapshot();
        RC_ASSERT(store_.Remove(next_id_ - 1).ok());
        return;
      case Op::Kind::kCrashBeforeMetadata:
        Snapshot();
        Restart();
        return;
      case Op::Kind::kCrashInUpload: {
        Arm("checkpoint.shared.upload", op.skip);
        Result<std::vector<SnapshotFile>> files = TrySnapshot();
        failpoint::DisarmAll();
        if (!files.ok()) return Restart();
        Complete(*files);  // it had fewer new files than that
        return Prune(true);
      }
      case Op::Kind::kCrashInCollection:
        Complete(Snapshot());
        Arm("checkpoint.shared.delete", op.skip);
        Prune(/*expect_ok=*/false);
        failpoint::DisarmAll();
        return Restart();
      case Op::Kind::kCorruptNewest: {
        std::vector<int64_t> readable = Readable();
        if (readable.empty()) return;
        Result<CheckpointMetadata> meta = store_.ReadMetadata(readable.back());
        RC_ASSERT(meta.ok());
        for (const SnapshotFile& f : meta->Find(kTask)->files) {
          if (f.shared.empty() && f.name.find("MANIFEST") != std::string::npos && f.size > 0) {
            FlipByte(JoinPath(store_.TaskDir(meta->id, kTask), f.name), f.size / 2);
            corrupt_.insert(meta->id);
          }
        }
        return Restart();
      }
      case Op::Kind::kRollback: {
        std::vector<int64_t> readable = Readable();
        if (readable.empty()) return;
        return Restart(readable[static_cast<size_t>(op.skip) % readable.size()]);
      }
    }
  }

  // Every retained readable checkpoint verifies and restores to exactly its state.
  void CheckRetained() {
    for (int64_t id : Readable()) {
      Result<CheckpointMetadata> meta = store_.ReadMetadata(id);
      RC_ASSERT(meta.ok());
      RC_ASSERT(store_.Verify(*meta).ok());
      auto backend = OpenStateBackend(StateBackendKind::kRocksDb, dir_.File("check"), kAllGroups,
                                      {SourceOf(store_, *meta)});
      RC_ASSERT(backend.ok());
      Result<StateEntries> entries = DumpState(**backend);
      RC_ASSERT(entries.ok());
      RC_ASSERT(*entries == states_.at(id));
    }
  }

 private:
  static void Arm(const char* site, int skip) {
    RC_ASSERT(failpoint::Arm(site, std::to_string(skip) + "*off->1*error(EIO)").ok());
  }

  static void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x5a));
  }

  Result<std::vector<SnapshotFile>> TrySnapshot() {
    const int64_t id = next_id_++;
    SnapshotTarget target{
        .dir = JoinPath(store_.TaskDir(id, kTask), "state"),
        .shared_dir = store_.SharedDir(),
        .shared_prefix = std::string(kTask) + "-a" + std::to_string(attempt_) + "-"};
    snapshot_state_ = live_;
    return backend_->Snapshot(target);
  }

  std::vector<SnapshotFile> Snapshot() {
    Result<std::vector<SnapshotFile>> files = TrySnapshot();
    RC_ASSERT(files.ok());
    return *files;
  }

  // Writes the _metadata of the checkpoint just snapshotted.
  void Complete(std::vector<SnapshotFile> files) {
    CheckpointMetadata meta;
    meta.id = next_id_ - 1;
    meta.attempt = attempt_;
    meta.mode = "exactly-once";
    meta.source_parallelism = meta.operator_parallelism = meta.sink_parallelism = 1;
    for (SnapshotFile& f : files) f.name = kStatePrefix + f.name;
    meta.tasks.push_back({kTask, std::move(files)});
    RC_ASSERT(store_.WriteMetadata(meta).ok());
    states_[meta.id] = snapshot_state_;
  }

  void Prune(bool expect_ok) {
    Result<PruneResult> pruned = store_.Prune(retained_, /*collect_shared=*/true);
    Result<std::vector<int64_t>> ids = store_.ListCompleted();
    RC_ASSERT(ids.ok());
    RC_ASSERT(static_cast<int>(ids->size()) <= retained_);
    for (auto it = states_.begin(); it != states_.end();) {
      bool kept = std::find(ids->begin(), ids->end(), it->first) != ids->end();
      it = kept ? std::next(it) : states_.erase(it);
    }
    if (!expect_ok) return;
    RC_ASSERT(pruned.ok());
    // Exactly the files some completed checkpoint lists: no garbage, nothing missing.
    std::set<std::string> listed;
    for (int64_t id : *ids) {
      Result<CheckpointMetadata> meta = store_.ReadMetadata(id);
      RC_ASSERT(meta.ok());
      for (const SnapshotFile& f : meta->Find(kTask)->files) {
        if (!f.shared.empty()) listed.insert(f.shared);
      }
    }
    Result<std::vector<std::string>> names = ListDir(store_.SharedDir());
    std::set<std::string> present;
    if (names.ok()) present.insert(names->begin(), names->end());
    RC_ASSERT(present == listed);
  }

  std::vector<int64_t> Readable() const {
    std::vector<int64_t> ids;
    for (const auto& [id, state] : states_) {
      if (corrupt_.count(id) == 0) ids.push_back(id);
    }
    return ids;
  }

  // A new attempt restores `wanted` or else the newest readable completed checkpoint, passing
  // over corrupt ones, as the coordinator does with fallback_on_corrupt. The checkpoints after
  // a rollback target stay retained, and must stay restorable.
  void Restart(std::optional<int64_t> wanted = std::nullopt) {
    backend_.reset();
    ++attempt_;
    Result<RestoreChoice> choice =
        store_.SelectRestore(wanted, /*fall_back=*/true, [](int64_t, const Status&) {});
    RC_ASSERT(choice.ok());
    std::vector<int64_t> readable = Readable();
    if (wanted)
      readable.erase(std::upper_bound(readable.begin(), readable.end(), *wanted), readable.end());
    std::vector<SnapshotSource> restore;
    if (readable.empty()) {
      RC_ASSERT(!choice->checkpoint.has_value());
      live_.clear();
    } else {
      RC_ASSERT(choice->checkpoint.has_value());
      RC_ASSERT(choice->checkpoint->id == readable.back());
      restore.push_back(SourceOf(store_, *choice->checkpoint));
      live_ = states_.at(readable.back());
    }
    auto backend =
        OpenStateBackend(StateBackendKind::kRocksDb, dir_.File("work-a" + std::to_string(attempt_)),
                         kAllGroups, restore);
    RC_ASSERT(backend.ok());
    backend_ = std::move(*backend);
    Result<StateEntries> entries = DumpState(*backend_);
    RC_ASSERT(entries.ok());
    RC_ASSERT(*entries == live_);
  }

  TempDir dir_;
  CheckpointStore store_;
  int retained_;
  int64_t attempt_ = 0;
  int64_t next_id_ = 1;
  std::unique_ptr<KeyedStateBackend> backend_;
  StateEntries live_;
  StateEntries snapshot_state_;             // live_ when the last snapshot was taken
  std::map<int64_t, StateEntries> states_;  // completed checkpoints on disk
  std::set<int64_t> corrupt_;
};

RC_GTEST_PROP(IncrementalCheckpointProperty, EveryRetainedCheckpointRestoresToItsState, ()) {
  RegisterRuntimeFailpoints();
  const int retained = *rc::gen::inRange(1, 4);
  const std::vector<Op> ops = *rc::gen::container<std::vector<Op>>(GenOp());
  Job job(retained);
  for (const Op& op : ops) job.Apply(op);
  job.CheckRetained();
}

}  // namespace
}  // namespace faultline::runtime
