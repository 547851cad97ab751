// The harness's own costs: `faultline check` on a large synthetic history, and `faultline run`
// of an empty scenario.
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "bench/macro/interleave.h"
#include "bench/macro/macro_bench.h"
#include "checkers/synthetic_history.h"

namespace faultline::bench {

Result<nlohmann::json> MeasureChecker(const BenchOptions& options) {
  // As checker_bench's BM_CheckFile: half inputs, half committed outputs, exactly-once.
  checkers::SyntheticOptions o;
  o.job = checkers::JobKind::kCount;
  o.mode = checkers::Mode::kExactlyOnce;
  o.seed = options.seed;
  o.uncommitted_view = false;
  o.inputs = options.checker_events / 2;
  o.keys = 1000;
  o.partitions = 8;
  o.interval_ns = 20'000;  // 50k inputs/s
  const std::string dir = JoinPath(options.work_dir, "checker");
  RETURN_IF_ERROR(CreateDirs(dir));
  const std::string history = JoinPath(dir, "history.jsonl");
  Stopwatch gen;
  ASSIGN_OR_RETURN(int64_t lines, checkers::WriteSyntheticHistory(history, o));
  FL_LOG(Info) << "checker: " << lines << " events generated in " << gen.ElapsedSeconds() << " s";
  ASSIGN_OR_RETURN(uint64_t file_bytes, FileSize(history));
  // Repeated: one run's wall time swings by a second on a shared machine (the kernel's share
  // of it, zeroing pages and copying the file, more than the checker's own).
  std::vector<double> wall, cpu, rss;
  for (int run = 0; run < options.checker_runs; ++run) {
    const std::string log = JoinPath(dir, "check-" + std::to_string(run) + ".log");
    ASSIGN_OR_RETURN(ChildUsage u, RunChild({options.self_binary, "check", history, "--out",
                                             JoinPath(dir, "results.json")},
                                            log, 600'000));
    if (u.exit_code != 0) {
      return Status::Internal("faultline check exited " + std::to_string(u.exit_code) + "; see " +
                              log);
    }
    wall.push_back(u.wall_s);
    cpu.push_back(u.cpu_s);
    rss.push_back(u.peak_rss_mb);
  }
  if (!options.keep) RETURN_IF_ERROR(RemoveAll(history));  // ~100 bytes an event
  const auto events = static_cast<double>(lines);
  return nlohmann::json{
      {"events", lines},
      {"events_per_s", events / Median(wall)},
      {"events_per_cpu_s", events / Median(cpu)},
      {"wall_s", Median(wall)},
      {"cpu_s", Median(cpu)},
      {"peak_rss_mb", Median(rss)},
      {"spread", {{"wall_s", SpreadJson(wall)}, {"peak_rss_mb", SpreadJson(rss)}}},
      {"file_mb", static_cast<double>(file_bytes) / 1e6}};
}

Result<nlohmann::json> MeasureHarnessOverhead(const BenchOptions& options) {
  const std::string dir = JoinPath(options.work_dir, "harness");
  RETURN_IF_ERROR(CreateDirs(dir));
  // Nothing to do: no faults, one record a second for a millisecond, fast checkpoints so that
  // quiescence is reached as soon as the (empty) output is read.
  nlohmann::json scenario = {
      {"name", "bench-empty"},
      {"seed", options.seed},
      {"duration_s", 0.001},
      {"mode", "exactly-once"},
      {"cluster", {{"workers", 2}}},
      {"job", {{"operator", "count"}, {"checkpoint", {{"interval_ms", 100}}}}},
      {"workload", {{"rate", 1}, {"keys", 1}}},
      {"quiesce", {{"timeout_s", 30}, {"checkpoints", 1}}},
  };
  const std::string path = JoinPath(dir, "empty.json");
  RETURN_IF_ERROR(WriteFileAtomic(path, scenario.dump(2) + "\n"));
  std::vector<double> ms;
  for (int i = 0; i < options.harness_runs; ++i) {
    ASSIGN_OR_RETURN(ChildUsage u,
                     RunChild({options.self_binary, "run", path, "--store", JoinPath(dir, "store")},
                              JoinPath(dir, "run-" + std::to_string(i) + ".log"), 120'000));
    if (u.exit_code != 0) {
      // The run's own summary says why (the work dir may be a test's temporary one).
      auto text = ReadFileToString(JoinPath(dir, "run-" + std::to_string(i) + ".log"));
      std::string log = text.ok() ? *text : "(no log)";
      if (log.size() > 2000) log = log.substr(log.size() - 2000);
      return Status::Internal("faultline run of an empty scenario exited " +
                              std::to_string(u.exit_code) + "; see " + dir + "; its log ends:\n" +
                              log);
    }
    ms.push_back(u.wall_s * 1000);
  }
  return nlohmann::json{{"overhead_ms", Median(ms)}, {"runs_ms", ms}};
}

}  // namespace faultline::bench
