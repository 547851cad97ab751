// faultline-faultfs: the fault-injecting FUSE passthrough filesystem (docs/faultfs.md).
//
//   faultline-faultfs --backing DIR --mount DIR --control SOCKET [--seed N]
//
// Mounts DIR's contents at the mount point, serves the control socket (JSON lines, see
// faultfs/control.h), and runs until SIGTERM/SIGINT, then unmounts.
#define FUSE_USE_VERSION 35

#include <dirent.h>
#include <fuse.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/flags.h"
#include "faultfs/control.h"
#include "faultfs/faultfs.h"

namespace {

using faultline::faultfs::FaultFs;

FaultFs* Fs() { return static_cast<FaultFs*>(fuse_get_context()->private_data); }

// Who is calling: the caller's process group, which is how a node is named to faultfs (each
// node runs in a group of its own). The request carries the calling thread's id.
int CallerGroup() {
  pid_t pgid = ::getpgid(fuse_get_context()->pid);
  return pgid > 0 ? static_cast<int>(pgid) : static_cast<int>(fuse_get_context()->pid);
}

void* Init(struct fuse_conn_info* conn, struct fuse_config* cfg) {
  // Nothing may outlive a lose-unsynced in a kernel cache: no page cache, no attribute or
  // entry caching, no writeback cache.
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->use_ino = 1;
  cfg->hard_remove = 1;  // unlink of an open file: no .fuse_hidden renames
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  return fuse_get_context()->private_data;
}

// With hard_remove, libfuse passes a null path to the operations on an open file that is no
// longer in the tree (unlinked, or renamed over): such a file has no name to match a rule
// against or to record, only its descriptor.
std::string PathOf(const char* path) { return path != nullptr ? path : ""; }

int Getattr(const char* path, struct stat* st, struct fuse_file_info* fi) {
  if (path == nullptr) {
    if (fi == nullptr) return -ENOENT;
    return ::fstat(static_cast<int>(fi->fh), st) == 0 ? 0 : -errno;
  }
  return Fs()->Getattr(path, st);
}

int Readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, struct fuse_file_info*,
            enum fuse_readdir_flags) {
  std::vector<std::pair<std::string, struct stat>> entries;
  if (int rc = Fs()->Readdir(path, &entries); rc != 0) return rc;
  for (const auto& [name, st] : entries) {
    if (fill(buf, name.c_str(), &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) break;
  }
  return 0;
}

int Readlink(const char* path, char* buf, size_t size) {
  std::string target;
  if (int rc = Fs()->Readlink(path, &target); rc != 0) return rc;
  std::snprintf(buf, size, "%s", target.c_str());
  return 0;
}

int Mkdir(const char* path, mode_t mode) { return Fs()->Mkdir(path, mode, CallerGroup()); }
int Rmdir(const char* path) { return Fs()->Rmdir(path, CallerGroup()); }
int Unlink(const char* path) { return Fs()->Unlink(path, CallerGroup()); }
int Rename(const char* from, const char* to, unsigned flags) {
  return Fs()->Rename(from, to, flags, CallerGroup());
}
int Link(const char* from, const char* to) { return Fs()->Link(from, to, CallerGroup()); }
int Symlink(const char* target, const char* path) {
  return Fs()->Symlink(target, path, CallerGroup());
}

int Create(const char* path, mode_t mode, struct fuse_file_info* fi) {
  int fd = -1;
  if (int rc = Fs()->Create(path, mode, fi->flags, CallerGroup(), &fd); rc != 0) return rc;
  fi->fh = static_cast<uint64_t>(fd);
  fi->direct_io = 1;
  return 0;
}

int Open(const char* path, struct fuse_file_info* fi) {
  int fd = -1;
  if (int rc = Fs()->Open(path, fi->flags, &fd); rc != 0) return rc;
  fi->fh = static_cast<uint64_t>(fd);
  fi->direct_io = 1;
  return 0;
}

int Read(const char*, char* buf, size_t size, off_t offset, struct fuse_file_info* fi) {
  return Fs()->Read(static_cast<int>(fi->fh), buf, size, offset);
}

int Write(const char* path, const char* buf, size_t size, off_t offset, struct fuse_file_info* fi) {
  return Fs()->Write(PathOf(path), static_cast<int>(fi->fh), buf, size, offset, CallerGroup());
}

int Truncate(const char* path, off_t size, struct fuse_file_info* fi) {
  if (path == nullptr && fi == nullptr) return -ENOENT;
  return Fs()->Truncate(PathOf(path), fi != nullptr ? static_cast<int>(fi->fh) : -1, size,
                        CallerGroup());
}

int Fsync(const char* path, int datasync, struct fuse_file_info* fi) {
  return Fs()->Fsync(PathOf(path), static_cast<int>(fi->fh), datasync != 0, CallerGroup());
}

int Fsyncdir(const char* path, int, struct fuse_file_info*) {
  return Fs()->Fsyncdir(path, CallerGroup());
}
int Flush(const char*, struct fuse_file_info*) { return 0; }
int Release(const char*, struct fuse_file_info* fi) {
  return Fs()->Release(static_cast<int>(fi->fh));
}
// On a file no longer in the tree these act on its descriptor, untracked: nothing of it is
// left to lose or keep.
int Chmod(const char* path, mode_t mode, struct fuse_file_info* fi) {
  if (path == nullptr) {
    return fi != nullptr && ::fchmod(static_cast<int>(fi->fh), mode) == 0 ? 0 : -ENOENT;
  }
  return Fs()->Chmod(path, mode);
}
int Chown(const char* path, uid_t uid, gid_t gid, struct fuse_file_info* fi) {
  if (path == nullptr) {
    return fi != nullptr && ::fchown(static_cast<int>(fi->fh), uid, gid) == 0 ? 0 : -ENOENT;
  }
  return Fs()->Chown(path, uid, gid);
}
int Utimens(const char* path, const struct timespec tv[2], struct fuse_file_info* fi) {
  if (path == nullptr) {
    return fi != nullptr && ::futimens(static_cast<int>(fi->fh), tv) == 0 ? 0 : -ENOENT;
  }
  return Fs()->Utimens(path, tv);
}
int Statfs(const char* path, struct statvfs* st) { return Fs()->Statfs(path, st); }

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "faultline-faultfs: %s\nusage: faultline-faultfs --backing DIR --mount DIR "
               "--control SOCKET [--seed N]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  faultline::Flags flags;
  flags.Value("backing").Value("mount").Value("control").Value("seed");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto s = flags.Parse(args); !s.ok()) return Usage(s.message());
  auto backing = flags.Get("backing");
  auto mount = flags.Get("mount");
  auto control = flags.Get("control");
  if (!backing || !mount || !control) return Usage("--backing, --mount and --control are required");
  auto seed = flags.GetInt("seed");
  if (!seed.ok()) return Usage(seed.status().message());

  // Nothing is mounted over data: a mount point must be an empty directory.
  if (DIR* d = ::opendir(mount->c_str())) {
    int entries = 0;
    while (dirent* e = ::readdir(d))
      entries += std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0;
    ::closedir(d);
    if (entries > 0) return Usage(*mount + ": the mount point is not empty");
  } else {
    return Usage(*mount + ": the mount point is not a directory: " + std::strerror(errno));
  }
  if (::access(backing->c_str(), R_OK | W_OK | X_OK) != 0)
    return Usage(*backing + ": the backing directory is not usable: " + std::strerror(errno));

  FaultFs fs(*backing, static_cast<uint64_t>(seed->value_or(1)));
  faultline::faultfs::ControlServer server(&fs);
  if (auto s = server.Listen(*control); !s.ok()) return Usage(s.ToString());

  struct fuse_operations ops {};
  ops.init = Init;
  ops.getattr = Getattr;
  ops.readdir = Readdir;
  ops.readlink = Readlink;
  ops.mkdir = Mkdir;
  ops.rmdir = Rmdir;
  ops.unlink = Unlink;
  ops.rename = Rename;
  ops.link = Link;
  ops.symlink = Symlink;
  ops.create = Create;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.truncate = Truncate;
  ops.fsync = Fsync;
  ops.fsyncdir = Fsyncdir;
  ops.flush = Flush;
  ops.release = Release;
  ops.chmod = Chmod;
  ops.chown = Chown;
  ops.utimens = Utimens;
  ops.statfs = Statfs;

  const std::string fsname = "fsname=faultfs-" + std::to_string(::getpid());
  // auto_unmount: a faultfs that dies takes its mount with it (fusermount3 watches it).
  std::vector<std::string> fuse_argv = {argv[0], "-o",          fsname, "-o", "subtype=faultline",
                                        "-o",    "auto_unmount"};
  std::vector<char*> cargv;
  for (auto& a : fuse_argv) cargv.push_back(a.data());
  struct fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
  struct fuse* f = fuse_new(&fargs, &ops, sizeof(ops), &fs);
  if (f == nullptr) return Usage("fuse_new failed");
  if (fuse_mount(f, mount->c_str()) != 0) {
    fuse_destroy(f);
    return Usage("cannot mount on " + *mount + " (is /dev/fuse there, and are we root?)");
  }
  struct fuse_session* se = fuse_get_session(f);
  fuse_set_signal_handlers(se);
  std::thread control_thread([&] { server.Serve(); });
  std::fprintf(stderr, "faultline-faultfs: %s mounted on %s, control %s\n", backing->c_str(),
               mount->c_str(), control->c_str());
  struct fuse_loop_config* loop = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(loop, 16);
  int rc = fuse_loop_mt(f, loop);
  fuse_loop_cfg_destroy(loop);
  server.Stop();
  control_thread.join();
  fuse_remove_signal_handlers(se);
  fuse_unmount(f);
  fuse_destroy(f);
  fuse_opt_free_args(&fargs);
  return rc == 0 ? 0 : 1;
}
