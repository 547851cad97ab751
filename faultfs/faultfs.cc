#include "faultfs/faultfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/clock.h"

namespace faultline::faultfs {
namespace {

constexpr const char* kStashName = ".faultfs-stash";
// What Injected() returns for a rule with errno 0: the call succeeds and does nothing (only
// fsync takes such rules: a disk that acknowledges a flush it did not make).
constexpr int kLie = 1;

int Errno() { return -errno; }

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Reads [offset, offset + size) of `fd` (less at its end).
std::string ReadRange(int fd, int64_t offset, int64_t size) {
  std::string out(static_cast<size_t>(std::max<int64_t>(size, 0)), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                        static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

void WriteRange(int fd, int64_t offset, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                         static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

int64_t SizeOf(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_size : 0;
}

}  // namespace

FaultFs::FaultFs(std::string backing, uint64_t seed)
    : backing_(std::move(backing)), stash_dir_(backing_ + "/" + kStashName), rng_(seed) {
  ::mkdir(stash_dir_.c_str(), 0700);
}

FaultFs::~FaultFs() = default;

std::string FaultFs::Real(const std::string& path) const {
  return path == "/" ? backing_ : backing_ + path;
}

ino_t FaultFs::InoOf(const std::string& real_path) const {
  struct stat st;
  return ::lstat(real_path.c_str(), &st) == 0 ? st.st_ino : 0;
}

ino_t FaultFs::ParentIno(const std::string& path) const { return InoOf(Real(Parent(path))); }

int FaultFs::Injected(const std::string& op, const std::string& path, int pgid) {
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!it->ops.empty() && it->ops.count(op) == 0) continue;
    if (!it->pgids.empty() && it->pgids.count(pgid) == 0) continue;
    if (::fnmatch(it->pattern.c_str(), path.c_str(), 0) != 0) continue;
    if (it->probability < 1.0 && !rng_.Bernoulli(it->probability)) continue;
    int err = it->err;
    if (it->count > 0 && --it->count == 0) rules_.erase(it);
    return err == 0 ? kLie : -err;
  }
  return 0;
}

std::string FaultFs::NewStash() { return stash_dir_ + "/" + std::to_string(next_stash_++); }

void FaultFs::Track(ino_t ino, const std::string& path) {
  if (ino != 0) paths_[ino] = path;
}

void FaultFs::DropStash(const std::string& stash) {
  struct stat st;
  const bool last_link = ::lstat(stash.c_str(), &st) == 0 && st.st_nlink <= 1;
  ::unlink(stash.c_str());
  if (!last_link) return;
  paths_.erase(st.st_ino);
  auto file = data_ops_.find(st.st_ino);
  if (file == data_ops_.end()) return;
  for (OpList::iterator it : file->second) ops_.erase(it);
  data_ops_.erase(file);
}

std::string FaultFs::PathOf(ino_t ino) const {
  auto it = paths_.find(ino);
  return it == paths_.end() ? "" : it->second;
}

void FaultFs::Record(Op op) {
  // Appends that continue the same group's last unsynced write of a file become one op, so
  // that a log written for hours and never synced costs one op, not millions.
  const bool data = op.kind == Kind::kWrite || op.kind == Kind::kTruncate;
  if (op.kind == Kind::kWrite && op.old_bytes.empty()) {
    auto file = data_ops_.find(op.ino);
    if (file != data_ops_.end() && !file->second.empty()) {
      Op& last = *file->second.back();
      if (last.kind == Kind::kWrite && last.pgid == op.pgid &&
          last.offset + last.length == op.offset && last.old_size <= last.offset &&
          op.old_size == op.offset) {
        last.length += op.length;
        return;
      }
    }
  }
  const ino_t ino = op.ino;
  ops_.push_back(std::move(op));
  if (data) data_ops_[ino].push_back(std::prev(ops_.end()));
}

// --- reads and metadata ---------------------------------------------------------------------

int FaultFs::Getattr(const std::string& path, struct stat* st) {
  if (path == std::string("/") + kStashName) return -ENOENT;
  return ::lstat(Real(path).c_str(), st) == 0 ? 0 : Errno();
}

int FaultFs::Readdir(const std::string& path,
                     std::vector<std::pair<std::string, struct stat>>* out) {
  DIR* dir = ::opendir(Real(path).c_str());
  if (dir == nullptr) return Errno();
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (path == "/" && name == kStashName) continue;
    struct stat st {};
    st.st_ino = e->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(e->d_type));
    out->emplace_back(std::move(name), st);
  }
  ::closedir(dir);
  return 0;
}

int FaultFs::Readlink(const std::string& path, std::string* target) {
  char buf[4096];
  ssize_t n = ::readlink(Real(path).c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return Errno();
  target->assign(buf, static_cast<size_t>(n));
  return 0;
}

int FaultFs::Open(const std::string& path, int flags, int* fd) {
  *fd = ::open(Real(path).c_str(), flags & ~O_CREAT);
  return *fd >= 0 ? 0 : Errno();
}

int FaultFs::Read(int fd, char* buf, size_t size, off_t offset) {
  ssize_t n = ::pread(fd, buf, size, offset);
  return n >= 0 ? static_cast<int>(n) : Errno();
}

int FaultFs::Release(int fd) { return ::close(fd) == 0 ? 0 : Errno(); }

int FaultFs::Chmod(const std::string& path, mode_t mode) {
  return ::chmod(Real(path).c_str(), mode) == 0 ? 0 : Errno();
}

int FaultFs::Chown(const std::string& path, uid_t uid, gid_t gid) {
  return ::lchown(Real(path).c_str(), uid, gid) == 0 ? 0 : Errno();
}

int FaultFs::Utimens(const std::string& path, const struct timespec tv[2]) {
  return ::utimensat(AT_FDCWD, Real(path).c_str(), tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : Errno();
}

int FaultFs::Statfs(const std::string& path, struct statvfs* st) {
  return ::statvfs(Real(path).c_str(), st) == 0 ? 0 : Errno();
}

// --- directory entries ----------------------------------------------------------------------

int FaultFs::Create(const std::string& path, mode_t mode, int flags, int pgid, int* fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("create", path, pgid)) return e;
  const std::string real = Real(path);
  bool existed = ::access(real.c_str(), F_OK) == 0;
  *fd = ::open(real.c_str(), flags | O_CREAT, mode);
  if (*fd < 0) return Errno();
  if (!existed) {
    struct stat st;
    if (::fstat(*fd, &st) == 0) Track(st.st_ino, path);
    Op op{Kind::kCreate, pgid};
    op.path = path;
    op.dirs = {ParentIno(path)};
    Record(std::move(op));
  }
  return 0;
}

int FaultFs::Mkdir(const std::string& path, mode_t mode, int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("mkdir", path, pgid)) return e;
  if (::mkdir(Real(path).c_str(), mode) != 0) return Errno();
  Op op{Kind::kMkdir, pgid};
  op.path = path;
  op.dirs = {ParentIno(path)};
  Record(std::move(op));
  return 0;
}

int FaultFs::Symlink(const std::string& target, const std::string& path, int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (::symlink(target.c_str(), Real(path).c_str()) != 0) return Errno();
  Op op{Kind::kSymlink, pgid};
  op.path = path;
  op.dirs = {ParentIno(path)};
  Record(std::move(op));
  return 0;
}

int FaultFs::Link(const std::string& from, const std::string& to, int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("link", to, pgid)) return e;
  if (::link(Real(from).c_str(), Real(to).c_str()) != 0) return Errno();
  Op op{Kind::kLink, pgid};
  op.path = to;
  op.dirs = {ParentIno(to)};
  Record(std::move(op));
  return 0;
}

int FaultFs::Unlink(const std::string& path, int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("unlink", path, pgid)) return e;
  // Kept in the stash until its directory is synced: a power cut before that brings it back.
  const std::string stash = NewStash();
  const ino_t ino = InoOf(Real(path));
  if (::rename(Real(path).c_str(), stash.c_str()) != 0) return Errno();
  if (paths_.count(ino)) paths_[ino] = stash.substr(backing_.size());
  Op op{Kind::kUnlink, pgid};
  op.path = path;
  op.stash = stash;
  op.dirs = {ParentIno(path)};
  Record(std::move(op));
  return 0;
}

int FaultFs::Rmdir(const std::string& path, int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("rmdir", path, pgid)) return e;
  struct stat st;
  if (::lstat(Real(path).c_str(), &st) != 0) return Errno();
  if (::rmdir(Real(path).c_str()) != 0) return Errno();
  Op op{Kind::kRmdir, pgid};
  op.path = path;
  op.mode = st.st_mode & 07777;
  op.dirs = {ParentIno(path)};
  Record(std::move(op));
  return 0;
}

int FaultFs::Rename(const std::string& from, const std::string& to, unsigned flags, int pgid) {
  if (flags != 0) return -EINVAL;  // RENAME_NOREPLACE / EXCHANGE: not needed by anyone here
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("rename", to, pgid)) return e;
  Op op{Kind::kRename, pgid};
  op.path = from;
  op.to = to;
  op.dirs = {ParentIno(from), ParentIno(to)};
  // A replaced destination waits in the stash, so that the undo can bring it back.
  ino_t replaced = 0;
  if (::access(Real(to).c_str(), F_OK) == 0) {
    struct stat dst;
    if (::lstat(Real(to).c_str(), &dst) == 0 && !S_ISDIR(dst.st_mode)) {
      op.stash = NewStash();
      if (::link(Real(to).c_str(), op.stash.c_str()) != 0) op.stash.clear();
      replaced = dst.st_ino;
    }
  }
  if (::rename(Real(from).c_str(), Real(to).c_str()) != 0) {
    int err = Errno();
    if (!op.stash.empty()) ::unlink(op.stash.c_str());
    return err;
  }
  for (auto& [ino, p] : paths_) {
    if (ino == replaced && !op.stash.empty()) {
      p = op.stash.substr(backing_.size());  // the replaced file now lives in the stash
    } else if (p == from) {
      p = to;
    } else if (p.rfind(from + "/", 0) == 0) {
      p = to + p.substr(from.size());
    }
  }
  Record(std::move(op));
  return 0;
}

// --- data -----------------------------------------------------------------------------------

int FaultFs::Write(const std::string& path, int fd, const char* buf, size_t size, off_t offset,
                   int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("write", path, pgid)) return e;
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno();
  Op op{Kind::kWrite, pgid};
  op.ino = st.st_ino;
  op.offset = offset;
  op.length = static_cast<int64_t>(size);
  op.old_size = st.st_size;
  if (offset < st.st_size) {
    op.old_bytes = ReadRange(fd, offset, std::min<int64_t>(op.length, st.st_size - offset));
  }
  ssize_t n = ::pwrite(fd, buf, size, offset);
  if (n < 0) return Errno();
  op.length = n;
  if (!path.empty() && paths_.count(op.ino) == 0) Track(op.ino, path);
  Record(std::move(op));
  return static_cast<int>(n);
}

int FaultFs::Truncate(const std::string& path, int fd, off_t size, int pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (int e = Injected("truncate", path, pgid)) return e;
  int own = fd >= 0 ? -1 : ::open(Real(path).c_str(), O_RDWR);
  int use = fd >= 0 ? fd : own;
  if (use < 0) return Errno();
  struct stat st;
  int rc = ::fstat(use, &st);
  Op op{Kind::kTruncate, pgid};
  if (rc == 0) {
    op.ino = st.st_ino;
    op.old_size = st.st_size;
    op.offset = size;
    if (size < st.st_size) op.old_bytes = ReadRange(use, size, st.st_size - size);
    rc = ::ftruncate(use, size);
  }
  int err = rc == 0 ? 0 : Errno();
  if (own >= 0) ::close(own);
  if (err != 0) return err;
  if (!path.empty() && paths_.count(op.ino) == 0) Track(op.ino, path);
  Record(std::move(op));
  return 0;
}

std::optional<int> FaultFs::BeforeSync(const std::string& path, int pgid) {
  int64_t slow;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int e = Injected("fsync", path, pgid);
    if (e == kLie) return 0;
    if (e != 0) return e;
    slow = slow_pgids_.empty() || slow_pgids_.count(pgid) ? slow_fsync_ms_ : 0;
  }
  if (slow > 0) SleepMillis(slow);
  return std::nullopt;
}

int FaultFs::Fsync(const std::string& path, int fd, bool datasync, int pgid) {
  if (std::optional<int> done = BeforeSync(path, pgid)) return *done;
  int rc = datasync ? ::fdatasync(fd) : ::fsync(fd);
  if (rc != 0) return Errno();
  struct stat st;
  if (::fstat(fd, &st) != 0) return 0;
  // Every write of the file is durable now, whoever made it (fsync flushes the whole file).
  std::lock_guard<std::mutex> lock(mu_);
  auto file = data_ops_.find(st.st_ino);
  if (file != data_ops_.end()) {
    for (OpList::iterator it : file->second) ops_.erase(it);
    data_ops_.erase(file);
  }
  return 0;
}

int FaultFs::Fsyncdir(const std::string& path, int pgid) {
  if (std::optional<int> done = BeforeSync(path, pgid)) return *done;
  int fd = ::open(Real(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno();
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno();
  const ino_t dir = InoOf(Real(path));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = ops_.begin(); it != ops_.end();) {
    if (std::find(it->dirs.begin(), it->dirs.end(), dir) == it->dirs.end()) {
      ++it;
      continue;
    }
    if (!it->stash.empty()) DropStash(it->stash);  // the removal is durable now
    it = ops_.erase(it);
  }
  return 0;
}

// --- faults ---------------------------------------------------------------------------------

int64_t FaultFs::SurvivingExtent(ino_t ino, const std::set<int>& lost) const {
  int64_t extent = 0;
  auto file = data_ops_.find(ino);
  if (file == data_ops_.end()) return extent;
  for (OpList::iterator it : file->second) {
    bool gone = lost.empty() || lost.count(it->pgid) != 0;
    if (it->kind == Kind::kWrite && !gone) extent = std::max(extent, it->offset + it->length);
  }
  return extent;
}

LossReport FaultFs::LoseUnsynced(const std::set<int>& pgids, bool torn) {
  std::lock_guard<std::mutex> lock(mu_);
  LossReport report;
  std::set<ino_t> torn_once;
  // Newest first: each undo restores the state just before its op.
  for (auto it = ops_.end(); it != ops_.begin();) {
    --it;
    if (!pgids.empty() && pgids.count(it->pgid) == 0) continue;
    const Op& op = *it;
    switch (op.kind) {
      case Kind::kWrite:
      case Kind::kTruncate: {
        const std::string path = PathOf(op.ino);
        // Its file may be gone (an undone create): nothing to restore.
        int fd =
            path.empty() || InoOf(Real(path)) != op.ino ? -1 : ::open(Real(path).c_str(), O_RDWR);
        if (fd < 0) break;
        std::string prefix;
        if (op.kind == Kind::kWrite && torn && torn_once.insert(op.ino).second) {
          prefix =
              ReadRange(fd, op.offset,
                        static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(op.length) + 1)));
          ++report.torn;
        }
        if (op.kind == Kind::kWrite) {
          WriteRange(fd, op.offset, op.old_bytes);
          if (op.offset + op.length > op.old_size && SizeOf(fd) > op.old_size) {
            (void)::ftruncate(fd, std::max(op.old_size, SurvivingExtent(op.ino, pgids)));
          }
          if (!prefix.empty()) WriteRange(fd, op.offset, prefix);
          report.bytes_dropped += op.length - static_cast<int64_t>(prefix.size());
          ++report.writes_undone;
        } else {
          (void)::ftruncate(fd, op.old_size);
          if (!op.old_bytes.empty()) WriteRange(fd, op.offset, op.old_bytes);
          ++report.writes_undone;
        }
        ::close(fd);
        break;
      }
      case Kind::kCreate:
      case Kind::kLink:
      case Kind::kSymlink:
        ::unlink(Real(op.path).c_str());
        ++report.entries_undone;
        break;
      case Kind::kMkdir:
        ::rmdir(Real(op.path).c_str());
        ++report.entries_undone;
        break;
      case Kind::kUnlink:
        ::rename(op.stash.c_str(), Real(op.path).c_str());
        for (auto& [ino, p] : paths_) {
          if (Real(p) == op.stash) p = op.path;
        }
        ++report.entries_undone;
        break;
      case Kind::kRmdir:
        ::mkdir(Real(op.path).c_str(), op.mode);
        ++report.entries_undone;
        break;
      case Kind::kRename:
        ::rename(Real(op.to).c_str(), Real(op.path).c_str());
        if (!op.stash.empty()) ::rename(op.stash.c_str(), Real(op.to).c_str());
        for (auto& [ino, p] : paths_) {
          if (p == op.to) {
            p = op.path;
          } else if (!op.stash.empty() && Real(p) == op.stash) {
            p = op.to;
          }
        }
        ++report.entries_undone;
        break;
    }
    if (it->kind == Kind::kWrite || it->kind == Kind::kTruncate) {
      auto& file = data_ops_[it->ino];
      file.erase(std::find(file.begin(), file.end(), it));
      if (file.empty()) data_ops_.erase(it->ino);
    }
    it = ops_.erase(it);
  }
  return report;
}

void FaultFs::AddErrorRule(ErrorRule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(std::move(rule));
}

void FaultFs::ClearErrorRules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

void FaultFs::SetSlowFsync(int64_t ms, std::set<int> pgids) {
  std::lock_guard<std::mutex> lock(mu_);
  slow_fsync_ms_ = ms;
  slow_pgids_ = std::move(pgids);
}

nlohmann::json FaultFs::Status() {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json groups = nlohmann::json::object();
  for (const Op& op : ops_) {
    nlohmann::json& g = groups[std::to_string(op.pgid)];
    if (g.is_null()) g = {{"ops", 0}, {"bytes", 0}};
    g["ops"] = g["ops"].get<int64_t>() + 1;
    if (op.kind == Kind::kWrite) g["bytes"] = g["bytes"].get<int64_t>() + op.length;
  }
  nlohmann::json rules = nlohmann::json::array();
  for (const ErrorRule& r : rules_) {
    rules.push_back({{"pattern", r.pattern},
                     {"ops", r.ops},
                     {"pgids", r.pgids},
                     {"errno", r.err},
                     {"count", r.count},
                     {"probability", r.probability}});
  }
  return {{"unsynced", groups}, {"errors", rules}, {"slow_fsync_ms", slow_fsync_ms_}};
}

}  // namespace faultline::faultfs
