#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "reports/run_report.h"

namespace faultline::reports {

// One mode of a scenario as the comparison shows it. A plain value.
struct ComparisonRow {
  std::string mode;
  std::string verdict;   // valid, invalid, unknown
  std::string expected;  // the scenario's expectation for the mode
  bool as_expected = false;
  RunFigures figures;
  std::string run_dir;
};
ComparisonRow RowOf(const RunData& run);

// The modes x {lost, duplicated, state anomalies, order violations, p50/p99 latency,
// throughput, recovery time, verdict against the expectation} table as fixed-width text, for
// the end of `faultline run` and scripts/demo.sh. Pure.
std::string FormatComparisonTable(const std::vector<ComparisonRow>& rows);

// FormatComparisonTable of the runs in `run_dirs` (each read with LoadRunData).
Result<std::string> FormatComparisonTableOf(const std::vector<std::string>& run_dirs);

// The modes of a multi-mode run directory: each subdirectory holding a results.json, in the
// order modes are usually listed (at-most-once, at-least-once, exactly-once, then others).
// NotFound when there is none.
Result<std::vector<RunData>> LoadModeRuns(const std::string& base_dir);
// True when `dir` has no results.json of its own but mode subdirectories that do.
bool IsMultiModeDir(const std::string& dir);

// The comparison report: the table (with links to each mode's report.html) and small-multiple
// charts of every mode on one shared time axis. Self-contained HTML.
std::string RenderComparisonReport(const std::string& base_dir, const std::vector<RunData>& runs);

// LoadModeRuns + RenderComparisonReport, written to BASE_DIR/report.html; returns its path.
Result<std::string> WriteComparisonReport(const std::string& base_dir);

}  // namespace faultline::reports
