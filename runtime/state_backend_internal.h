#pragma once

// Shared between state_backend.cc and the backend implementations; not part of the runtime's
// interface.

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/key_groups.h"
#include "runtime/state_backend.h"

namespace faultline::runtime::internal {

// Highest key group a backend accepts: keys are stored under a 2-byte big-endian group
// prefix, and 0xffff is kept free as an upper bound for range scans.
inline constexpr int kMaxKeyGroup = 0xfffe;

// InvalidArgument unless `key_group` is inside `range` (a routing bug otherwise: the entry
// would not survive a restore).
Status CheckKeyGroup(KeyGroupRange range, int key_group);

// Checks that `dir` does not exist yet and creates it (and its parents, durably).
Status CreateSnapshotDir(const std::string& dir);

// DescribeFile that also fsyncs the file (through base/file.h) while it reads it.
Result<SnapshotFile> DescribeAndSyncFile(const std::string& dir, const std::string& name);

// Backends. `work_dir` exists and is empty; `range` is valid.
Result<std::unique_ptr<KeyedStateBackend>> OpenMemoryStateBackend(
    const std::string& work_dir, KeyGroupRange range, const std::vector<SnapshotSource>& restore);
Result<std::unique_ptr<KeyedStateBackend>> OpenRocksDbStateBackend(
    const std::string& work_dir, KeyGroupRange range, const std::vector<SnapshotSource>& restore);

}  // namespace faultline::runtime::internal
