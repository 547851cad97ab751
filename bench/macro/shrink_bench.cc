// How well `faultline shrink` finds the one fault that matters (docs/benchmarks.md).
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/json.h"
#include "base/version.h"
#include "bench/macro/interleave.h"
#include "bench/macro/macro_bench.h"
#include "systems/faultfs_mounts.h"

namespace faultline::bench {

namespace {

// `runs` failing runs of scenarios/NAME.json, each shrunk.
Result<nlohmann::json> ShrinkCase(const BenchOptions& options, const std::string& name, int runs) {
  const std::string scenario = JoinPath(kSourceDir, "scenarios/" + name + ".json");
  if (!PathExists(scenario))
    return Status::NotFound(scenario + ": missing (the benchmark reads the checkout's scenario)");
  const std::string dir = JoinPath(options.work_dir, name);
  RETURN_IF_ERROR(CreateDirs(dir));
  std::vector<double> tries, wall, final_faults, per_candidate;
  nlohmann::json every = nlohmann::json::array();
  int original_faults = 0;
  for (int i = 0; i < runs; ++i) {
    const std::string store = JoinPath(dir, "store-" + std::to_string(i));
    const std::string log = JoinPath(dir, "run-" + std::to_string(i) + ".log");
    ASSIGN_OR_RETURN(ChildUsage run, RunChild({options.self_binary, "run", scenario, "--store",
                                               store, "--seed", std::to_string(options.seed + i)},
                                              log, 300'000));
    if (run.exit_code != 1)
      return Status::Internal("the run to shrink was not invalid (exit " +
                              std::to_string(run.exit_code) + "); see " + log);
    const std::string run_dir = JoinPath(store, "latest");
    const std::string shrink_log = JoinPath(dir, "shrink-" + std::to_string(i) + ".log");
    ASSIGN_OR_RETURN(ChildUsage shrink,
                     RunChild({options.self_binary, "shrink", run_dir, "--budget",
                               std::to_string(options.shrink_budget)},
                              shrink_log, 3'600'000));
    if (shrink.exit_code != 0)
      return Status::Internal("faultline shrink exited " + std::to_string(shrink.exit_code) +
                              "; see " + shrink_log);
    ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(JoinPath(run_dir, "shrink/shrink.json")));
    const nlohmann::json& s = j["summary"];
    original_faults = s["original"]["faults"].get<int>();
    tries.push_back(s["tries_used"].get<double>());
    wall.push_back(shrink.wall_s);
    final_faults.push_back(s["best"]["faults"].get<double>());
    per_candidate.push_back(s["tries_per_candidate"].get<double>());
    every.push_back({{"tries", tries.back()},
                     {"wall_s", wall.back()},
                     {"final_faults", final_faults.back()},
                     {"final_duration_s", s["best"]["duration_s"]},
                     {"tries_per_candidate", per_candidate.back()},
                     {"state", s["state"]}});
  }
  return nlohmann::json{{"original_faults", original_faults},
                        {"budget", options.shrink_budget},
                        {"tries", Median(tries)},
                        {"wall_s", Median(wall)},
                        {"final_faults", Median(final_faults)},
                        {"tries_per_candidate", Median(per_candidate)},
                        {"spread",
                         {{"tries", SpreadJson(tries)},
                          {"wall_s", SpreadJson(wall)},
                          {"final_faults", SpreadJson(final_faults)}}},
                        {"runs", std::move(every)}};
}

}  // namespace

Result<nlohmann::json> MeasureShrink(const BenchOptions& options) {
  ASSIGN_OR_RETURN(nlohmann::json r, ShrinkCase(options, "shrink-toyq", options.shrink_runs));
  if (options.shrink_faultfs_runs > 0) {
    Status supported = systems::FaultFsMounts::Supported(systems::FaultFsBinary());
    if (!supported.ok()) {
      r["lying_disk"] = {{"skipped", supported.message()}};
    } else {
      ASSIGN_OR_RETURN(r["lying_disk"],
                       ShrinkCase(options, "shrink-lying-disk", options.shrink_faultfs_runs));
    }
  }
  return r;
}

}  // namespace faultline::bench
