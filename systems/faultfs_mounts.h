#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "systems/node_process.h"

namespace faultline::systems {

// FaultFsMounts puts faultline-faultfs (docs/faultfs.md) over a run's durable directories:
// each `<run>/<dir>` becomes a FUSE mount of `<run>/.faultfs/<dir>`, served by a daemon of its
// own (a process group of its own, dying with the harness). Mount() waits until every mount
// answers; Unmount() stops the daemons and moves the backing directories back, so that what
// the run wrote sits where it always does. Mount() first unmounts faultfs mounts whose daemon
// is gone (a crashed run's). Not thread-safe: driven from the harness's main thread.
class FaultFsMounts {
 public:
  // Mounts `dirs` (relative to `run_dir`, which must not hold them yet).
  static Result<std::unique_ptr<FaultFsMounts>> Mount(const std::string& run_dir,
                                                      const std::vector<std::string>& dirs,
                                                      const std::string& binary, uint64_t seed);
  ~FaultFsMounts();
  FaultFsMounts(const FaultFsMounts&) = delete;
  FaultFsMounts& operator=(const FaultFsMounts&) = delete;

  // Undoes, on every mount, what process groups `pgids` did not sync (a power cut of their
  // machines); the totals of the mounts' reports.
  Result<nlohmann::json> LoseUnsynced(const std::set<int>& pgids, bool torn);
  // Sends `request` (an `error`, `clear-errors` or `slow` command) to every mount.
  Status Command(const nlohmann::json& request);
  Status Unmount();

  // Whether faultfs can mount here: Unavailable saying why (root, /dev/fuse, the binary).
  static Status Supported(const std::string& binary);

 private:
  struct One {
    std::string dir;      // the mount point
    std::string backing;  // <run>/.faultfs/<dir>
    std::string control;  // its control socket
    std::unique_ptr<NodeProcess> daemon;
  };
  FaultFsMounts() = default;

  std::vector<One> mounts_;
  bool unmounted_ = false;
};

// faultline-faultfs beside the running binary (faultline, or a test).
std::string FaultFsBinary();

}  // namespace faultline::systems
