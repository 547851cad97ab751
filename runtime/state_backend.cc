#include "runtime/state_backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "base/crc32c.h"
#include "base/file.h"
#include "runtime/state_backend_internal.h"

namespace faultline::runtime {
namespace {

// Reads `dir/name` in chunks, computing size and CRC32C; fsyncs it when `sync` is set.
Result<SnapshotFile> ReadAndDescribe(const std::string& dir, const std::string& name, bool sync) {
  const std::string path = JoinPath(dir, name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return Status::IoError("open " + path, errno);
  }
  SnapshotFile file{name, 0, 0};
  Status status = ReadChunks(fd, path, size_t{1} << 16, [&](std::string_view chunk) {
    file.crc32c = crc32c::Extend(file.crc32c, chunk.data(), chunk.size());
    file.size += chunk.size();
    return Status::Ok();
  });
  if (status.ok() && sync) status = Fsync(fd, path);
  ::close(fd);
  if (!status.ok()) return status;
  return file;
}

// A name from _metadata must stay inside the snapshot directory.
bool IsSafeRelativeName(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view part =
        name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part == ".." || part == "." || part.empty()) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

namespace internal {

Status CheckKeyGroup(KeyGroupRange range, int key_group) {
  if (range.Contains(key_group)) return Status::Ok();
  return Status::InvalidArgument(
      "key group " + std::to_string(key_group) + " is outside this subtask's range [" +
      std::to_string(range.first) + ", " + std::to_string(range.last) + "]");
}

Status CreateSnapshotDir(const std::string& dir) {
  if (PathExists(dir)) return Status::AlreadyExists("snapshot directory " + dir);
  return CreateDirs(dir);
}

Result<SnapshotFile> DescribeAndSyncFile(const std::string& dir, const std::string& name) {
  return ReadAndDescribe(dir, name, /*sync=*/true);
}

}  // namespace internal

Result<SnapshotFile> DescribeFile(const std::string& dir, const std::string& name) {
  return ReadAndDescribe(dir, name, /*sync=*/false);
}

std::string SnapshotFilePath(const std::string& dir, const std::string& shared_dir,
                             const SnapshotFile& file) {
  return file.shared.empty() ? JoinPath(dir, file.name) : JoinPath(shared_dir, file.shared);
}

Status VerifySnapshotFiles(const std::string& dir, const std::vector<SnapshotFile>& files,
                           const std::string& shared_dir) {
  for (const SnapshotFile& want : files) {
    const std::string path = SnapshotFilePath(dir, shared_dir, want);
    if (!IsSafeRelativeName(want.name)) {
      return Status::Corruption("snapshot file name '" + want.name + "' leaves " + dir);
    }
    if (!want.shared.empty() && (shared_dir.empty() || !IsSafeRelativeName(want.shared) ||
                                 want.shared.find('/') != std::string::npos)) {
      return Status::Corruption("shared snapshot file '" + want.shared + "' of " + dir +
                                " is not a file of the shared directory");
    }
    Result<SnapshotFile> got =
        want.shared.empty() ? DescribeFile(dir, want.name) : DescribeFile(shared_dir, want.shared);
    if (!got.ok()) {
      if (got.status().IsNotFound()) return Status::Corruption("snapshot file missing: " + path);
      return got.status();
    }
    if (got->size != want.size) {
      return Status::Corruption("snapshot file " + path + " has " + std::to_string(got->size) +
                                " bytes, expected " + std::to_string(want.size));
    }
    if (got->crc32c != want.crc32c) {
      return Status::Corruption("snapshot file " + path + ": CRC32C mismatch");
    }
  }
  return Status::Ok();
}

std::vector<SnapshotSource> WholeDirectories(const std::vector<std::string>& dirs) {
  std::vector<SnapshotSource> sources;
  for (const std::string& dir : dirs) sources.push_back({.dir = dir});
  return sources;
}

Result<std::unique_ptr<KeyedStateBackend>> OpenStateBackend(
    StateBackendKind kind, const std::string& work_dir, KeyGroupRange range,
    const std::vector<SnapshotSource>& restore) {
  if (!range.empty() && (range.first < 0 || range.last > internal::kMaxKeyGroup)) {
    return Status::InvalidArgument("key group range [" + std::to_string(range.first) + ", " +
                                   std::to_string(range.last) + "] is outside [0, " +
                                   std::to_string(internal::kMaxKeyGroup) + "]");
  }
  RETURN_IF_ERROR(RemoveAll(work_dir));
  RETURN_IF_ERROR(CreateDirs(work_dir));
  try {
    switch (kind) {
      case StateBackendKind::kMemory:
        return internal::OpenMemoryStateBackend(work_dir, range, restore);
      case StateBackendKind::kRocksDb:
        return internal::OpenRocksDbStateBackend(work_dir, range, restore);
    }
  } catch (const std::exception& e) {
    return Status::Internal("open state backend in " + work_dir + ": " + e.what());
  }
  return Status::InvalidArgument("unknown state backend kind");
}

}  // namespace faultline::runtime
