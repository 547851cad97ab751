#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "reports/charts.h"
#include "reports/timeline.h"

namespace faultline::reports {

// Everything a run report is drawn from: RUN_DIR/results.json (the verdict and the checkers'
// findings, docs/results-format.md), the timeline of RUN_DIR/history.jsonl, the resolved
// scenario.json (the replay command, the mode's expectation) and the node logs present.
// A plain value; thread-compatible.
struct RunData {
  std::string run_dir;
  nlohmann::json results;
  Timeline timeline;
  nlohmann::json scenario;         // null when the run has no scenario.json
  std::string scenario_path;       // the scenario.json replayed, "" when absent
  std::vector<std::string> nodes;  // ids under RUN_DIR/nodes/
  std::string expected = "valid";  // valid, invalid or any: the scenario's `expect` for the mode
  nlohmann::json plan;             // RUN_DIR/plan.json, null when absent
  nlohmann::json shrink;           // RUN_DIR/shrink/shrink.json, null when absent

  std::string mode() const;     // from results.json
  std::string verdict() const;  // valid, invalid, unknown
  bool as_expected() const;
  std::optional<uint64_t> seed() const;
  std::string ReplayCommand() const;  // "faultline run RUN_DIR/scenario.json [--mode M]"
};

// Reads a run directory. Errors name the file that is missing or malformed.
Result<RunData> LoadRunData(const std::string& run_dir);

// The figures of a run that reports compare, from results.json and the timeline.
struct RunFigures {
  int64_t lost = 0;
  int64_t duplicated = 0;
  int64_t unexpected = 0;
  int64_t state_anomalies = 0;  // state.* plus windows.mismatched (the window job's state)
  int64_t order_violations = 0;
  int64_t aborted_reads = 0;
  std::optional<double> p50_ns;
  std::optional<double> p99_ns;
  std::optional<double> throughput;   // committed outputs / s of the generate phase
  std::optional<double> recovery_ns;  // the longest recovery after a fault
};
RunFigures FiguresOf(const RunData& run);

// The charts of one run on `axis`: input and committed-output rate, latency p50/p99, and the
// lanes of faults (per target), failovers, stalls and checkpoints.
std::string RateChart(const RunData& run, const TimeAxis& axis, int height);
std::string LatencyChart(const RunData& run, const TimeAxis& axis, int height);
std::string EventsChart(const RunData& run, const TimeAxis& axis);
// The run's length in seconds: the timeline's end, or results' stats.end_t.
double RunSeconds(const RunData& run);

// The complete, self-contained report.html of one run.
std::string RenderRunReport(const RunData& run);

// LoadRunData + RenderRunReport, written atomically to RUN_DIR/report.html; returns its path.
Result<std::string> WriteRunReport(const std::string& run_dir);

}  // namespace faultline::reports
