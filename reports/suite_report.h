#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace faultline::reports {

// One scenario and mode of a suite, a scenario that could not run (`error` set), or one that
// this machine cannot run (`skipped` set, e.g. the netns backend without root). A plain value.
struct SuiteCase {
  std::string scenario;
  std::string mode;     // empty for an error
  std::string verdict;  // valid, invalid, unknown
  std::string expected = "valid";
  bool as_expected = false;
  std::string run_dir;
  std::string anomalies;  // AnomalySummary() of the run's results.json
  std::string summary;    // the checker's terminal summary
  std::string error;      // a harness error: the scenario did not run
  std::string skipped;    // why the scenario was not run here; not a failure
};

// The anomalies of a results.json in one line: "delivery.lost 3, state.count-gap 2", or
// "no anomalies". Pure.
std::string AnomalySummary(const nlohmann::json& results);
// AnomalySummary of RUN_DIR/results.json; "results.json unreadable: ..." when it cannot be read.
std::string AnomalySummaryOfRun(const std::string& run_dir);

// JUnit XML: one <testcase> per scenario and mode (classname faultline.SCENARIO, name MODE);
// a result other than expected is a <failure> whose message is the verdict and the anomaly
// summary; a scenario that did not run is one <error>, one skipped a <skipped>. Pure.
std::string RenderJunit(const std::vector<SuiteCase>& cases);
// A Markdown table for a CI step summary. Pure.
std::string RenderSuiteMarkdown(const std::vector<SuiteCase>& cases);
// index.html linking each run's report.html (relative to `index_dir` when inside it). Pure.
std::string RenderSuiteIndex(const std::vector<SuiteCase>& cases, const std::string& index_dir);

// Writes index.html and summary.md into `out_dir` (and JUnit XML to `junit_path` unless it is
// empty); appends summary.md to $GITHUB_STEP_SUMMARY when that is set.
Status WriteSuiteReports(const std::vector<SuiteCase>& cases, const std::string& out_dir,
                         const std::string& junit_path);

}  // namespace faultline::reports
