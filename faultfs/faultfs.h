#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/rng.h"

namespace faultline::faultfs {

// A rule of the `error` command: calls `ops` by process groups `pgids` (empty: anyone) on
// paths matching `pattern` (an fnmatch glob of the mount-relative path, "/output/*") fail with
// `err`, `count` times (-1: while the rule stands), each with `probability`.
struct ErrorRule {
  std::string pattern = "*";
  std::set<std::string> ops;  // write, fsync, rename, create, unlink, mkdir, rmdir, truncate,
                              // link; empty: all of them
  std::set<int> pgids;
  int err = 5;  // EIO
  int64_t count = -1;
  double probability = 1.0;
};

// What a lose-unsynced did.
struct LossReport {
  int64_t writes_undone = 0;
  int64_t bytes_dropped = 0;
  int64_t entries_undone = 0;  // directory entries created, removed or renamed
  int64_t torn = 0;            // writes of which a prefix was kept
};

// FaultFs is a passthrough filesystem over the directory `backing` that remembers what has
// not been made durable (docs/faultfs.md): for each file the writes and truncations since its
// last fsync/fdatasync, for each directory the entries created, removed, renamed or linked
// since its last fsync, each with the process group that made it. Reads see the current view,
// as the kernel's page cache would. LoseUnsynced() undoes what the given process groups did
// not sync, as a power cut of their machine would: file contents and sizes go back to their
// last synced state, new entries disappear, removed ones come back (a removed file is kept in
// a hidden stash until its directory is synced), renames are undone. A rename is durable once
// either of its directories is synced (one journal transaction, as ext4 makes it).
// Operations return 0 (or a byte count) or -errno, as FUSE wants; paths are mount-relative
// ("/", "/a/b"). Thread-safe: one mutex guards the journal; reads run outside it.
class FaultFs {
 public:
  FaultFs(std::string backing, uint64_t seed);
  ~FaultFs();
  FaultFs(const FaultFs&) = delete;
  FaultFs& operator=(const FaultFs&) = delete;

  const std::string& backing() const { return backing_; }

  int Getattr(const std::string& path, struct stat* st);
  int Readdir(const std::string& path, std::vector<std::pair<std::string, struct stat>>* out);
  int Readlink(const std::string& path, std::string* target);
  int Mkdir(const std::string& path, mode_t mode, int pgid);
  int Rmdir(const std::string& path, int pgid);
  int Unlink(const std::string& path, int pgid);
  int Rename(const std::string& from, const std::string& to, unsigned flags, int pgid);
  int Link(const std::string& from, const std::string& to, int pgid);
  int Symlink(const std::string& target, const std::string& path, int pgid);
  int Create(const std::string& path, mode_t mode, int flags, int pgid, int* fd);
  int Open(const std::string& path, int flags, int* fd);
  int Read(int fd, char* buf, size_t size, off_t offset);
  int Write(const std::string& path, int fd, const char* buf, size_t size, off_t offset, int pgid);
  // By `fd` when it is >= 0, else by path.
  int Truncate(const std::string& path, int fd, off_t size, int pgid);
  int Fsync(const std::string& path, int fd, bool datasync, int pgid);
  int Fsyncdir(const std::string& path, int pgid);
  int Release(int fd);
  int Chmod(const std::string& path, mode_t mode);
  int Chown(const std::string& path, uid_t uid, gid_t gid);
  int Utimens(const std::string& path, const struct timespec tv[2]);
  int Statfs(const std::string& path, struct statvfs* st);

  // Undoes what process groups `pgids` (all, when empty) did not sync. With `torn`, the newest
  // unsynced write of each file keeps a prefix of a seeded random length instead.
  LossReport LoseUnsynced(const std::set<int>& pgids, bool torn);
  void AddErrorRule(ErrorRule rule);
  void ClearErrorRules();
  // fsync and fsyncdir by `pgids` (empty: anyone) take `ms` longer; 0 lifts it.
  void SetSlowFsync(int64_t ms, std::set<int> pgids = {});
  // Unsynced operations and bytes per process group, the rules in force.
  nlohmann::json Status();

 private:
  enum class Kind { kWrite, kTruncate, kCreate, kMkdir, kSymlink, kLink, kUnlink, kRmdir, kRename };
  struct Op {
    Op(Kind k, int group) : kind(k), pgid(group) {}
    Kind kind;
    int pgid;
    ino_t ino = 0;  // the file written or truncated
    int64_t offset = 0;
    int64_t length = 0;
    int64_t old_size = 0;
    std::string old_bytes;    // what the write overwrote, or the tail a truncation cut
    std::string path;         // the entry made or removed; a rename's source
    std::string to;           // a rename's destination
    std::string stash;        // where a removed (or replaced) entry waits
    mode_t mode = 0;          // of a removed directory
    std::vector<ino_t> dirs;  // the directories whose fsync makes it durable
  };
  using OpList = std::list<Op>;

  std::string Real(const std::string& path) const;
  ino_t InoOf(const std::string& real_path) const;
  ino_t ParentIno(const std::string& path) const;
  int Injected(const std::string& op, const std::string& path, int pgid);  // mu_ held
  // An fsync rule's answer (a lie is 0), after the slow delay; nullopt: go on and sync.
  std::optional<int> BeforeSync(const std::string& path, int pgid);
  std::string NewStash();                          // mu_ held
  void Track(ino_t ino, const std::string& path);  // mu_ held
  // Removes a stash entry whose removal became durable; a file gone for good takes its
  // unsynced writes and its path along, since the filesystem may give its inode number to a
  // new file.
  void DropStash(const std::string& stash);                             // mu_ held
  void Record(Op op);                                                   // mu_ held
  int64_t SurvivingExtent(ino_t ino, const std::set<int>& lost) const;  // mu_ held
  std::string PathOf(ino_t ino) const;                                  // mu_ held

  const std::string backing_;
  const std::string stash_dir_;

  std::mutex mu_;
  Rng rng_;     // guarded by mu_
  OpList ops_;  // oldest first; guarded by mu_
  // Each file's writes and truncations in ops_, oldest first; guarded by mu_.
  std::map<ino_t, std::vector<OpList::iterator>> data_ops_;
  std::map<ino_t, std::string> paths_;  // where each written file is now; guarded by mu_
  std::vector<ErrorRule> rules_;        // guarded by mu_
  int64_t slow_fsync_ms_ = 0;           // guarded by mu_
  std::set<int> slow_pgids_;            // guarded by mu_
  uint64_t next_stash_ = 0;             // guarded by mu_
};

}  // namespace faultline::faultfs
