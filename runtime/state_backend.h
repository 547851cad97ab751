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

// A file a snapshot wrote, as recorded in a checkpoint's _metadata so that restore can verify
// it by CRC before trusting it.
struct SnapshotFile {
  std::string name;  // path relative to the snapshot directory
  uint64_t size = 0;
  uint32_t crc32c = 0;  // of the whole file
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

  // Writes the state into `dir` (created by the callee; must not exist) durably (files and
  // directory fsynced) and returns the files, with paths relative to `dir`.
  virtual Result<std::vector<SnapshotFile>> Snapshot(const std::string& dir) = 0;
};

// Opens the backend of a subtask that owns `range`. Working files live under `work_dir`
// (wiped first: a backend always starts from a snapshot, never from leftovers). Each of
// `restore_dirs` is a snapshot directory written by Snapshot() of this backend kind, possibly by
// a subtask of another parallelism: only entries whose key group is inside `range` are loaded.
// A snapshot that fails to read or verify gives Status::Corruption naming the file.
Result<std::unique_ptr<KeyedStateBackend>> OpenStateBackend(
    StateBackendKind kind, const std::string& work_dir, KeyGroupRange range,
    const std::vector<std::string>& restore_dirs);

// CRC32C and size of a file, for SnapshotFile entries and for verification at restore.
Result<SnapshotFile> DescribeFile(const std::string& dir, const std::string& name);
// Verifies that every file of `files` under `dir` has the recorded size and CRC.
// Status::Corruption names the first file that does not.
Status VerifySnapshotFiles(const std::string& dir, const std::vector<SnapshotFile>& files);

}  // namespace faultline::runtime
