#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline {

// Durable file primitives. Every byte Faultline must find again after a crash is written
// through these, and every write and fsync passes the `storage.write` / `storage.fsync`
// failpoints, so disk faults can be injected without touching callers.

// Writes all of `data` to `fd` (retrying short writes and EINTR). `path` names the file in
// errors.
Status WriteAll(int fd, std::string_view data, std::string_view path);
// fsync(fd); an error, real or injected, is returned, never swallowed.
Status Fsync(int fd, std::string_view path);
// fsync of a directory, so that a rename or a create inside it is durable.
Status FsyncDir(const std::string& dir);

// Replaces `path` atomically and durably: write `path.tmp`, fsync it, rename over `path`,
// fsync the directory. After a crash, `path` holds either the old or the new content.
Status WriteFileAtomic(const std::string& path, std::string_view data);
// rename(2) + fsync of the target directory (and the source's, if different).
Status RenameDurable(const std::string& from, const std::string& to);

Result<std::string> ReadFileToString(const std::string& path);
// Reads the open file `fd` from its current offset to its end, `chunk_size` bytes at a time
// (retrying EINTR), and hands each chunk to `consume`. Stops at the first error: a failed
// read(2) is an IoError naming `path`; an error of `consume` is returned as it is.
Status ReadChunks(int fd, std::string_view path, size_t chunk_size,
                  const std::function<Status(std::string_view chunk)>& consume);
bool PathExists(const std::string& path);
// mkdir -p; fsyncs each parent it creates into.
Status CreateDirs(const std::string& path);
Status RemoveAll(const std::string& path);
// Names (not paths) of the entries of `dir`, sorted.
Result<std::vector<std::string>> ListDir(const std::string& dir);
Result<uint64_t> FileSize(const std::string& path);
std::string DirName(const std::string& path);
std::string JoinPath(std::string_view a, std::string_view b);
// The canonical absolute path of an existing `path`; `path` itself when it cannot be resolved.
std::string RealPath(const std::string& path);

// AppendFile is a file opened for appending that knows how much of itself is durable:
// size() counts every byte handed to Append(), synced_size() the bytes covered by the last
// successful Sync(). After a failed Sync() the file is poisoned: every later call fails, since
// the kernel may have dropped the dirty pages (the fsyncgate lesson) and retrying could report
// data durable that is not. Thread-compatible: one writer at a time.
class AppendFile {
 public:
  // Opens (creating if needed) `path`; appends go after its current end.
  static Result<AppendFile> Open(const std::string& path);

  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile();

  Status Append(std::string_view data);
  Status Sync();
  // Shrinks the file to `size` bytes (to cut a torn tail before appending) and syncs.
  Status Truncate(uint64_t size);
  Status Close();

  uint64_t size() const { return size_; }
  uint64_t synced_size() const { return synced_size_; }
  const std::string& path() const { return path_; }

 private:
  AppendFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size), synced_size_(size) {}

  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  uint64_t synced_size_ = 0;
  Status poisoned_;
};

}  // namespace faultline
