// The macro benchmarks behind `faultline bench`: each measures one figure of docs/benchmarks.md on
// real processes, sockets and files, and returns its numbers as JSON (the keys of bench.json).
// They run one after another in one process, so that the ratios between them (exactly-once
// over at-least-once, runtime over raw loopback) hold on a shared, noisy machine.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/mode.h"
#include "base/status.h"

namespace faultline::bench {

// Sizes and places of one `faultline bench` run. The defaults are the full run; Quick() and
// Tiny() shrink them (--quick for CI, --tiny for the smoke test).
struct BenchOptions {
  std::string work_dir;     // scratch space; created, and removed afterwards unless keep
  std::string self_binary;  // faultline (for `faultline check` as a child)
  std::string node_binary;  // faultline-node
  uint64_t seed = 1;
  bool keep = false;  // keep the work dir, the checker's history included

  int64_t throughput_records = 24'000'000;  // pre-loaded, per mode and round
  int64_t throughput_keys = 10'000;
  int throughput_rounds = 3;  // interleaved rounds of the three modes
  double loopback_seconds = 1.0;
  std::vector<int64_t> checkpoint_keys = {10'000, 100'000, 1'000'000};
  int64_t incremental_keys = 1'000'000;  // state of the incremental checkpoint benchmark
  double incremental_changed = 0.1;      // fraction of the keys written before each checkpoint
  int incremental_checkpoints = 8;       // after the first, per round
  int incremental_rounds = 3;
  int64_t recovery_rate = 5'000;  // records/s of steady load while a worker is killed
  int recovery_kills = 3;
  int64_t checker_events = 10'000'000;
  int checker_runs = 3;  // `faultline check` of the same history, median and spread
  int harness_runs = 3;
  int64_t faultfs_records = 1'500'000;  // per run of the faultfs comparison
  int faultfs_repeats = 3;              // interleaved raw / faultfs pairs
  int shrink_runs = 3;                  // failing runs of scenarios/shrink-toyq.json, each shrunk
  int shrink_budget = 40;
  int shrink_faultfs_runs = 1;  // of scenarios/shrink-lying-disk.json (root and /dev/fuse)

  static BenchOptions Quick();
  static BenchOptions Tiny();
};

// Raw loopback TCP: a sender thread writes 100-byte messages, a receiver thread reads them, for
// `seconds`. Keys: loopback_reference (msgs/s, one write(2) per message) and
// loopback_batched (msgs/s, 256 messages per write, as the runtime batches records).
Result<nlohmann::json> MeasureLoopback(double seconds);

// The keyed count job, 2 workers, 1 s checkpoints, memory state, `records` pre-loaded over
// `keys` keys, in interleaved rounds of the three modes (interleave.h). Keys: one per mode,
// its median records/s (steady state: committed records between the 10% and 95% marks over
// their time, see throughput.cc); spread.<mode> (median, min, max, runs); ratios.<a>_over_<b>
// (RatioJson, round by round); detail.<mode>[] each run's total_s (job running -> all
// committed), startup_s (processes started -> job running) and steady window.
Result<nlohmann::json> MeasureThroughput(const BenchOptions& options);

// One run of the keyed count job in `mode` (2 workers, 1 s checkpoints, memory state) over
// `n` pre-loaded records, its files under `dir` (which must not exist): records_per_s and
// the other keys of MeasureThroughput's per-mode detail.
Result<nlohmann::json> JobThroughput(const BenchOptions& options, Mode mode, const std::string& dir,
                                     int64_t n);

// The exactly-once job on a raw directory and on faultfs (docs/faultfs.md), in interleaved
// pairs: raw_records_per_s and faultfs_records_per_s (medians, with every run), and
// faultfs_over_raw (median of the pairs' ratios, with min and max). Skipped, with the reason,
// where faultfs cannot mount.
Result<nlohmann::json> MeasureFaultFs(const BenchOptions& options);

// Snapshot duration and bytes of each state backend against its size in keys (the snapshot API
// called directly, as a task does on a barrier), and the restore (open from snapshot) time.
// Key `incremental`: RocksDB's incremental checkpoints after a full one of incremental_keys
// keys, with incremental_changed of the keys written before each of incremental_checkpoints
// more, in incremental_rounds rounds: second_over_first (bytes the second checkpoint added over
// the first's; median and spread of the rounds), next_over_first_mean and _max (every later
// checkpoint: compaction shows here), restore_incremental_over_full (restore time of the second
// checkpoint over a full snapshot of the same state, round by round: RatioJson).
Result<nlohmann::json> MeasureCheckpoints(const BenchOptions& options);

// Worker SIGKILL under steady load, exactly-once, restarted at once as a supervisor would:
// detection_ms (kill -> coordinator's worker-lost), job_running_ms (kill -> job running again),
// kill_to_output_ms (kill -> first committed output of a record appended after the kill).
// Medians over options.recovery_kills kills; every sample is listed too. Then one worker is
// SIGSTOPped: detection_silent_ms (pause -> worker-lost, the heartbeat timeout path).
Result<nlohmann::json> MeasureRecovery(const BenchOptions& options);

// `faultline check` as a child process on a synthetic history of options.checker_events
// lines, options.checker_runs times: the medians of events_per_s (wall), events_per_cpu_s and
// peak_rss_mb (ru_maxrss), `spread` {wall_s, peak_rss_mb}, file_mb.
Result<nlohmann::json> MeasureChecker(const BenchOptions& options);

// `faultline run` of an empty scenario (no faults, no load) in a child process: spawn +
// teardown + check. Key overhead_ms: the median over options.harness_runs runs.
Result<nlohmann::json> MeasureHarnessOverhead(const BenchOptions& options);

// `faultline run scenarios/shrink-toyq.json` (a planted bug that one kill reveals, among ten
// faults the system survives) then `faultline shrink` of its run with options.shrink_budget,
// options.shrink_runs times, as child processes: medians (and every run) of tries, wall_s,
// final_faults (of original_faults), tries_per_candidate. Then, under `lying_disk`, the same
// for scenarios/shrink-lying-disk.json (a bug two faults reveal together, among ten others,
// on the built-in runtime and faultfs), options.shrink_faultfs_runs times; skipped, with the
// reason, where faultfs cannot mount.
Result<nlohmann::json> MeasureShrink(const BenchOptions& options);

// Runs a child process to completion within `timeout_ms` (killed by group after that), with
// stdout and stderr to `log_path`. Returns its wall seconds, CPU seconds and peak RSS.
struct ChildUsage {
  int exit_code = -1;  // -1: killed by a signal or the deadline
  double wall_s = 0;
  double cpu_s = 0;
  double peak_rss_mb = 0;
};
Result<ChildUsage> RunChild(const std::vector<std::string>& argv, const std::string& log_path,
                            int64_t timeout_ms);

// The steady-state rate of a run that committed `n` records in `total_s` seconds, from
// `samples` of (seconds, records committed so far) in time order: the records between the
// first sample at >= 10% and the last at <= 95%, over their time (window_s). Falls back to
// n / total_s (window_s 0) when that window is empty.
struct SteadyRate {
  double records_per_s = 0;
  double window_s = 0;
};
SteadyRate SteadyRateOf(const std::vector<std::pair<double, int64_t>>& samples, int64_t n,
                        double total_s);

// Median of `v` (0 when empty).
double Median(std::vector<double> v);

}  // namespace faultline::bench
