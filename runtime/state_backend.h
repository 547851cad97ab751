#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/key_groups.h"

namespace faultline::runtime {

// A file of a snapshot, as recorded in a checkpoint's _metadata so that restore can verify it by
// CRC before trusting it. An incremental snapshot keeps its immutable files (RocksDB's SSTs) in
// the checkpoint store's shared directory, under a name unique to the file, where later
// snapshots refer to the same bytes instead of writing them again (docs/design.md,
// "Incremental checkpoints").
struct SnapshotFile {
  std::string name;  // path relative to the snapshot directory, as the backend restores it
  uint64_t size = 0;
  uint32_t crc32c = 0;      // of the whole file
  std::string shared = {};  // non-empty: the bytes are this file of the shared directory
};

// Where Snapshot() writes. `dir` gets the snapshot's own files; with a `shared_dir`, a backend
// that can (rocksdb) writes its immutable files there instead, each once: a file it already
// wrote or restored from is referred to, not written again. New shared files are named
// `shared_prefix` + their local name, which must make them unique among every snapshot that
// shares the directory (the task and attempt: "operator-1-a7-").
struct SnapshotTarget {
  std::string dir = {};
  std::string shared_dir = {};  // empty: a full snapshot
  std::string shared_prefix = {};
};

// One snapshot to restore from: its directory, the shared directory its shared files are in,
// and its files as _metadata lists them (empty: every file of `dir`, none shared).
struct SnapshotSource {
  std::string dir = {};
  std::string shared_dir = {};
  std::vector<SnapshotFile> files = {};
};

enum class StateBackendKind { kMemory, kRocksDb };

// KeyedStateBackend holds the keyed state of one operator subtask: byte-string values under
// (key group, key). Operators encode their own values; the key group is passed in (not
// recomputed) so that composite keys such as "k7|window-1000" stay with their user key's group.
//
// Snapshot() writes a consistent copy of the whole state into a new directory and returns the
// files it wrote; it is synchronous: the caller (the task thread) does not mutate the backend
// while it runs. Restore happens at open: see OpenStateBackend.
// Thread-compatible: one task thread uses a backend.
class KeyedStateBackend {
 public:
  virtual ~KeyedStateBackend() = default;

  virtual Result<std::optional<std::string>> Get(int key_group, std::string_view key) = 0;
  virtual Status Put(int key_group, std::string_view key, std::string_view value) = 0;
  virtual Status Delete(int key_group, std::string_view key) = 0;
  // Visits every entry, in key-group order (order within a group unspecified). `visit`
  // returns false to stop early. Mutating the backend from inside `visit` is not allowed.
  virtual Status ForEach(const std::function<bool(int key_group, std::string_view key,
                                                  std::string_view value)>& visit) = 0;
  virtual uint64_t ApproximateEntries() const = 0;

  // Writes the state into target.dir (created by the callee; must not exist) and, for an
  // incremental snapshot, target.shared_dir, durably (files and directories fsynced), and
  // returns the files, with names relative to target.dir.
  virtual Result<std::vector<SnapshotFile>> Snapshot(const SnapshotTarget& target) = 0;
  // A full snapshot into `dir`.
  Result<std::vector<SnapshotFile>> Snapshot(const std::string& dir) {
    return Snapshot(SnapshotTarget{.dir = dir});
  }
};

// Opens the backend of a subtask that owns `range`. Working files live under `work_dir`
// (wiped first: a backend always starts from a snapshot, never from leftovers). Each of
// `restore` is a snapshot written by Snapshot() of this backend kind, possibly by a subtask of
// another parallelism: only entries whose key group is inside `range` are loaded. The first is
// the base (rocksdb opens its files as they are; put the one with the most of `range` first).
// A snapshot that fails to read or verify gives Status::Corruption naming the file.
Result<std::unique_ptr<KeyedStateBackend>> OpenStateBackend(
    StateBackendKind kind, const std::string& work_dir, KeyGroupRange range,
    const std::vector<SnapshotSource>& restore);
// Snapshots that are whole directories (full snapshots), for OpenStateBackend.
std::vector<SnapshotSource> WholeDirectories(const std::vector<std::string>& dirs);

// CRC32C and size of a file, for SnapshotFile entries and for verification at restore.
Result<SnapshotFile> DescribeFile(const std::string& dir, const std::string& name);
// Where the bytes of `file` of a snapshot in `dir` are: under `shared_dir` for a shared file.
std::string SnapshotFilePath(const std::string& dir, const std::string& shared_dir,
                             const SnapshotFile& file);
// Verifies that every file of `files` (of the snapshot in `dir`, its shared files under
// `shared_dir`) has the recorded size and CRC. Status::Corruption names the first file that
// does not, or one whose name would leave its directory.
Status VerifySnapshotFiles(const std::string& dir, const std::vector<SnapshotFile>& files,
                           const std::string& shared_dir = "");

}  // namespace faultline::runtime
