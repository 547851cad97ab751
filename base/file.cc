#include "base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <utility>

#include "base/failpoint.h"

namespace faultline {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

class Fd {  // closes on scope exit
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

Status WriteAll(int fd, std::string_view data, std::string_view path) {
  failpoint::Hit hit = failpoint::Eval("storage.write");
  if (hit.kind == failpoint::Hit::Kind::kError) {
    return Status::IoError("write " + Str(path) + " (failpoint storage.write)", hit.error_number);
  }
  if (hit.kind == failpoint::Hit::Kind::kTorn) {
    // A torn write: only a prefix reaches the disk before the crash.
    std::string_view half = data.substr(0, data.size() / 2);
    while (!half.empty()) {
      ssize_t n = ::write(fd, half.data(), half.size());
      if (n <= 0) break;
      half.remove_prefix(static_cast<size_t>(n));
    }
    ::fdatasync(fd);
    failpoint::CrashNow("storage.write (torn)");
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("write " + Str(path), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status Fsync(int fd, std::string_view path) {
  failpoint::Hit hit = failpoint::Eval("storage.fsync");
  if (hit.kind == failpoint::Hit::Kind::kError) {
    return Status::IoError("fsync " + Str(path) + " (failpoint storage.fsync)", hit.error_number);
  }
  if (hit.kind == failpoint::Hit::Kind::kTorn) failpoint::CrashNow("storage.fsync");
  if (hit.kind == failpoint::Hit::Kind::kLie) return Status::Ok();  // a disk that lies
  if (::fsync(fd) != 0) return Status::IoError("fsync " + Str(path), errno);
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::IoError("open directory " + dir, errno);
  return Fsync(fd.get(), dir);
}

std::string DirName(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return Str(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Status::IoError("create " + tmp, errno);
    RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp));
    RETURN_IF_ERROR(Fsync(fd.get(), tmp));
    if (::close(fd.release()) != 0) return Status::IoError("close " + tmp, errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("rename " + tmp + " -> " + path, errno);
  }
  return FsyncDir(DirName(path));
}

Status RenameDurable(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IoError("rename " + from + " -> " + to, errno);
  }
  RETURN_IF_ERROR(FsyncDir(DirName(to)));
  if (DirName(from) != DirName(to)) RETURN_IF_ERROR(FsyncDir(DirName(from)));
  return Status::Ok();
}

Status ReadChunks(int fd, std::string_view path, size_t chunk_size,
                  const std::function<Status(std::string_view chunk)>& consume) {
  std::string buf(std::max<size_t>(chunk_size, 1), '\0');
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("read " + Str(path), errno);
    }
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(consume(std::string_view(buf.data(), static_cast<size_t>(n))));
  }
}

Result<std::string> ReadFileToString(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return Status::IoError("open " + path, errno);
  }
  std::string out;
  RETURN_IF_ERROR(ReadChunks(fd.get(), path, size_t{1} << 16, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::Ok();
  }));
  return out;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status CreateDirs(const std::string& path) {
  if (path.empty() || PathExists(path)) return Status::Ok();
  std::string parent = DirName(path);
  if (parent != path && parent != ".") RETURN_IF_ERROR(CreateDirs(parent));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IoError("mkdir " + path, errno);
  }
  return FsyncDir(parent);
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IoError("remove " + path, ec.value());
  return Status::Ok();
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::NotFound(dir);
    return Status::IoError("opendir " + dir, errno);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return Status::IoError("stat " + path, errno);
  }
  return static_cast<uint64_t>(st.st_size);
}

Result<AppendFile> AppendFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("open " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::IoError("stat " + path, err);
  }
  return AppendFile(fd, path, static_cast<uint64_t>(st.st_size));
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      size_(other.size_),
      synced_size_(other.synced_size_),
      poisoned_(std::move(other.poisoned_)) {}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    size_ = other.size_;
    synced_size_ = other.synced_size_;
    poisoned_ = std::move(other.poisoned_);
  }
  return *this;
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status AppendFile::Append(std::string_view data) {
  if (!poisoned_.ok()) return poisoned_;
  if (fd_ < 0) return Status::Internal("append to closed file " + path_);
  Status s = WriteAll(fd_, data, path_);
  if (!s.ok()) {
    // A short write leaves an unknown tail; only a reopen (which re-reads the size) may go on.
    poisoned_ = s;
    return s;
  }
  size_ += data.size();
  return Status::Ok();
}

Status AppendFile::Sync() {
  if (!poisoned_.ok()) return poisoned_;
  if (fd_ < 0) return Status::Internal("sync of closed file " + path_);
  if (synced_size_ == size_) return Status::Ok();
  Status s = Fsync(fd_, path_);
  if (!s.ok()) {
    poisoned_ = s;
    return s;
  }
  synced_size_ = size_;
  return Status::Ok();
}

Status AppendFile::Truncate(uint64_t size) {
  if (!poisoned_.ok()) return poisoned_;
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return Status::IoError("truncate " + path_, errno);
  }
  size_ = size;
  Status s = Fsync(fd_, path_);  // the truncation itself must be durable
  if (!s.ok()) {
    poisoned_ = s;
    return s;
  }
  synced_size_ = size;
  return Status::Ok();
}

Status AppendFile::Close() {
  if (fd_ < 0) return Status::Ok();
  Status s = Sync();
  if (::close(std::exchange(fd_, -1)) != 0 && s.ok()) s = Status::IoError("close " + path_, errno);
  return s;
}

}  // namespace faultline
