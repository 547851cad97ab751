// faultfs's cost: the exactly-once job on a raw directory and on a faultfs mount of one.
#include <algorithm>

#include "base/file.h"
#include "base/logging.h"
#include "bench/macro/macro_bench.h"
#include "systems/faultfs_mounts.h"

namespace faultline::bench {

Result<nlohmann::json> MeasureFaultFs(const BenchOptions& options) {
  const std::string binary = systems::FaultFsBinary();
  if (Status s = systems::FaultFsMounts::Supported(binary); !s.ok()) {
    FL_LOG(Warning) << "faultfs: skipped: " << s.message();
    return nlohmann::json{{"faultfs_skipped", s.message()}};
  }
  std::vector<double> raw, mounted, ratios;
  // A B A B ...: both sides of each pair see the same machine, give or take seconds.
  for (int rep = 0; rep < options.faultfs_repeats; ++rep) {
    double pair[2] = {0, 0};
    for (int side = 0; side < 2; ++side) {
      const std::string name =
          std::string(side == 0 ? "faultfs-raw-" : "faultfs-mounted-") + std::to_string(rep);
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
      pair[side] = run["records_per_s"].get<double>();
      FL_LOG(Info) << name << ": " << static_cast<int64_t>(pair[side]) << " records/s";
    }
    raw.push_back(pair[0]);
    mounted.push_back(pair[1]);
    ratios.push_back(pair[0] > 0 ? pair[1] / pair[0] : 0);
  }
  return nlohmann::json{{"raw_records_per_s", Median(raw)},
                        {"faultfs_records_per_s", Median(mounted)},
                        {"faultfs_over_raw", Median(ratios)},
                        {"faultfs_over_raw_min", *std::min_element(ratios.begin(), ratios.end())},
                        {"faultfs_over_raw_max", *std::max_element(ratios.begin(), ratios.end())},
                        {"runs", {{"raw", raw}, {"faultfs", mounted}}},
                        {"records", options.faultfs_records}};
}

}  // namespace faultline::bench
