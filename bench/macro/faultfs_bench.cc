// faultfs's cost: the exactly-once job on a raw directory and on a faultfs mount of one.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "bench/macro/interleave.h"
#include "bench/macro/macro_bench.h"
#include "systems/faultfs_mounts.h"

namespace faultline::bench {
namespace {

// `n` appends of 4 KiB to one file in `dir`, each followed by fdatasync: ops/s and the
// latency quantiles of write + fdatasync, in microseconds.
Result<nlohmann::json> WriteFsync(const std::string& dir, int n) {
  const std::string path = JoinPath(dir, "write-fsync.bin");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("open " + path, errno);
  const std::string block(4096, 'w');
  std::vector<double> us;
  Stopwatch total;
  for (int i = 0; i < n; ++i) {
    Stopwatch one;
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        ::fdatasync(fd) != 0) {
      Status s = Status::IoError("write+fdatasync " + path, errno);
      ::close(fd);
      return s;
    }
    us.push_back(static_cast<double>(one.ElapsedNanos()) / 1e3);
  }
  const double seconds = total.ElapsedSeconds();
  ::close(fd);
  std::sort(us.begin(), us.end());
  return nlohmann::json{{"ops_per_s", n / seconds},
                        {"p50_us", us[us.size() / 2]},
                        {"p99_us", us[std::min(us.size() - 1, us.size() * 99 / 100)]}};
}

}  // namespace

Result<nlohmann::json> MeasureFaultFs(const BenchOptions& options) {
  const std::string binary = systems::FaultFsBinary();
  if (Status s = systems::FaultFsMounts::Supported(binary); !s.ok()) {
    FL_LOG(Warning) << "faultfs: skipped: " << s.message();
    return nlohmann::json{{"faultfs_skipped", s.message()}};
  }
  nlohmann::json write_fsync = nlohmann::json::object();
  {
    // The filesystem alone: write + fdatasync on the raw directory, then on a mount of one.
    const int n = options.faultfs_records >= 1'000'000 ? 5000 : 500;
    const std::string raw_dir = JoinPath(options.work_dir, "faultfs-wf-raw");
    RETURN_IF_ERROR(CreateDirs(raw_dir));
    ASSIGN_OR_RETURN(write_fsync["raw"], WriteFsync(raw_dir, n));
    ASSIGN_OR_RETURN(auto mount,
                     systems::FaultFsMounts::Mount(options.work_dir, {"faultfs-wf-mounted"}, binary,
                                                   options.seed));
    ASSIGN_OR_RETURN(write_fsync["faultfs"],
                     WriteFsync(JoinPath(options.work_dir, "faultfs-wf-mounted"), n));
    RETURN_IF_ERROR(mount->Unmount());
    write_fsync["ops"] = n;
  }
  // Raw, faultfs, raw, faultfs, ...: both sides of each pair see the same machine.
  ASSIGN_OR_RETURN(
      auto rates,
      Interleave(options.faultfs_repeats, 2, [&](int round, size_t side) -> Result<double> {
        const std::string name =
            std::string(side == 0 ? "faultfs-raw-" : "faultfs-mounted-") + std::to_string(round);
        std::unique_ptr<systems::FaultFsMounts> mount;
        if (side == 1) {
          ASSIGN_OR_RETURN(
              mount, systems::FaultFsMounts::Mount(options.work_dir, {name}, binary, options.seed));
        }
        ASSIGN_OR_RETURN(nlohmann::json run,
                         JobThroughput(options, Mode::kExactlyOnce,
                                       JoinPath(JoinPath(options.work_dir, name), "job"),
                                       options.faultfs_records));
        if (mount) RETURN_IF_ERROR(mount->Unmount());
        return run["records_per_s"].get<double>();
      }));
  nlohmann::json ratio = RatioJson(rates[1], rates[0]);
  return nlohmann::json{{"raw_records_per_s", Median(rates[0])},
                        {"faultfs_records_per_s", Median(rates[1])},
                        {"faultfs_over_raw", ratio["median"]},
                        {"ratio", ratio},
                        {"runs", {{"raw", rates[0]}, {"faultfs", rates[1]}}},
                        {"write_fsync", write_fsync},
                        {"records", options.faultfs_records}};
}

}  // namespace faultline::bench
