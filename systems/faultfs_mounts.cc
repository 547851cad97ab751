#include "systems/faultfs_mounts.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "faultfs/control.h"

namespace faultline::systems {
namespace {

constexpr int64_t kMountTimeoutMs = 10'000;
constexpr int64_t kControlTimeoutMs = 5'000;

struct MountEntry {
  std::string fsname;  // "faultfs-<pid>"
  std::string point;
};

// The faultfs mounts of this machine (type fuse.faultline).
std::vector<MountEntry> FaultFsMountEntries() {
  std::vector<MountEntry> out;
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    MountEntry e;
    std::string type;
    fields >> e.fsname >> e.point >> type;
    if (type == "fuse.faultline") out.push_back(e);
  }
  return out;
}

bool IsMounted(const std::string& point) {
  for (const auto& e : FaultFsMountEntries()) {
    if (e.point == point) return true;
  }
  return false;
}

// Detaches a mount whose daemon is gone, so that nothing waits on it.
void Detach(const std::string& point) { ::umount2(point.c_str(), MNT_DETACH); }

// Unmounts faultfs mounts whose daemon no longer runs (left by a run that was killed).
void SweepStale() {
  for (const auto& e : FaultFsMountEntries()) {
    if (e.fsname.rfind("faultfs-", 0) != 0) continue;
    int pid = std::atoi(e.fsname.c_str() + 8);
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      FL_LOG(Warning) << "faultfs: unmounting " << e.point << ", left by a run that is gone";
      Detach(e.point);
    }
  }
}

}  // namespace

std::string FaultFsBinary() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "faultline-faultfs";
  self[n] = '\0';
  std::string beside = JoinPath(DirName(self), "faultline-faultfs");
  if (::access(beside.c_str(), X_OK) == 0) return beside;
  // Tests run from build/<preset>/tests; the binaries are in build/<preset>/bin.
  std::string bin = JoinPath(JoinPath(DirName(DirName(self)), "bin"), "faultline-faultfs");
  return ::access(bin.c_str(), X_OK) == 0 ? bin : "faultline-faultfs";
}

Status FaultFsMounts::Supported(const std::string& binary) {
  if (::geteuid() != 0) {
    return Status::Unavailable("faultfs needs root to mount (running as uid " +
                               std::to_string(::geteuid()) + ")");
  }
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return Status::Unavailable("faultfs needs /dev/fuse (Debian's fuse3; load the fuse module)");
  }
  if (FindProgram(binary).empty()) {
    return Status::Unavailable(binary + " not found (it is built with faultline)");
  }
  if (FindProgram("fusermount3").empty()) {
    return Status::Unavailable("faultfs needs fusermount3 (Debian's fuse3) to unmount itself");
  }
  return Status::Ok();
}

Result<std::unique_ptr<FaultFsMounts>> FaultFsMounts::Mount(const std::string& run_dir,
                                                            const std::vector<std::string>& dirs,
                                                            const std::string& binary,
                                                            uint64_t seed) {
  RETURN_IF_ERROR(Supported(binary));
  SweepStale();
  std::unique_ptr<FaultFsMounts> m(new FaultFsMounts());
  // /proc/mounts names mount points by absolute path: a run under a relative store must too.
  const std::string run = RealPath(run_dir);
  const std::string root = JoinPath(run, ".faultfs");
  for (size_t i = 0; i < dirs.size(); ++i) {
    One one;
    one.dir = JoinPath(run, dirs[i]);
    one.backing = JoinPath(root, dirs[i]);
    one.control = JoinPath(root, dirs[i] + ".sock");
    if (PathExists(one.dir)) return Status::AlreadyExists(one.dir + " exists before its mount");
    RETURN_IF_ERROR(CreateDirs(one.dir));
    RETURN_IF_ERROR(CreateDirs(one.backing));
    one.daemon = std::make_unique<NodeProcess>(
        "faultfs-" + dirs[i],
        std::vector<std::string>{binary, "--backing", one.backing, "--mount", one.dir, "--control",
                                 one.control, "--seed", std::to_string(seed + i)},
        JoinPath(root, dirs[i] + ".daemon"));
    RETURN_IF_ERROR(one.daemon->Start());
    m->mounts_.push_back(std::move(one));
  }
  for (One& one : m->mounts_) {
    bool up = PollUntil(
        [&] {
          return !one.daemon->Running() ||
                 (IsMounted(one.dir) &&
                  faultfs::CallControl(one.control, {{"op", "status"}}, Deadline::AfterMillis(500))
                      .ok());
        },
        Deadline::AfterMillis(kMountTimeoutMs), 20);
    if (!up || !one.daemon->Running()) {
      return Status::Unavailable("faultfs did not mount " + one.dir + "; see " +
                                 JoinPath(one.daemon->log_dir(), "stderr"));
    }
  }
  return m;
}

FaultFsMounts::~FaultFsMounts() { (void)Unmount(); }

Result<nlohmann::json> FaultFsMounts::LoseUnsynced(const std::set<int>& pgids, bool torn) {
  nlohmann::json request = {{"op", "lose-unsynced"}, {"torn", torn}};
  if (!pgids.empty()) request["pgids"] = pgids;
  nlohmann::json total = {
      {"writes_undone", 0}, {"bytes_dropped", 0}, {"entries_undone", 0}, {"torn", 0}};
  for (const One& one : mounts_) {
    ASSIGN_OR_RETURN(
        nlohmann::json r,
        faultfs::CallControl(one.control, request, Deadline::AfterMillis(kControlTimeoutMs)));
    for (auto& [k, v] : total.items()) v = v.get<int64_t>() + r.value(k, int64_t{0});
  }
  return total;
}

Status FaultFsMounts::Command(const nlohmann::json& request) {
  for (const One& one : mounts_) {
    RETURN_IF_ERROR(
        faultfs::CallControl(one.control, request, Deadline::AfterMillis(kControlTimeoutMs))
            .status());
  }
  return Status::Ok();
}

Status FaultFsMounts::Unmount() {
  if (unmounted_) return Status::Ok();
  unmounted_ = true;
  Status first;
  for (One& one : mounts_) {
    (void)one.daemon->Stop(5000);  // SIGTERM: the daemon unmounts on its way out
    if (IsMounted(one.dir)) Detach(one.dir);
    // The run's files go back where everything else expects them.
    if (::rmdir(one.dir.c_str()) != 0 || ::rename(one.backing.c_str(), one.dir.c_str()) != 0) {
      if (first.ok()) first = Status::IoError("faultfs: put " + one.backing + " back", errno);
      continue;
    }
    (void)RemoveAll(JoinPath(one.dir, ".faultfs-stash"));
  }
  return first;
}

}  // namespace faultline::systems
