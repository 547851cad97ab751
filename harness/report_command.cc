// `faultline report RUN_DIR...`: redraws report.html from what a run left on disk
// (results.json, history.jsonl, scenario.json, nodes/), and the comparison report of a
// multi-mode run directory.
#include <cstdio>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/flags.h"
#include "harness/commands.h"
#include "reports/comparison.h"
#include "reports/run_report.h"

namespace faultline::harness {
namespace {

constexpr const char* kUsage =
    "usage: faultline report RUN_DIR...\n"
    "  Writes RUN_DIR/report.html from RUN_DIR/results.json and history.jsonl. For the base\n"
    "  directory of a multi-mode run, also each mode's report and the comparison report.\n"
    "Exit status: 0 written, 2 a run directory is missing or malformed.\n";

// Writes the reports of one directory and prints their paths; the first error is returned.
Status Report(const std::string& dir) {
  if (!reports::IsMultiModeDir(dir)) {
    ASSIGN_OR_RETURN(std::string path, reports::WriteRunReport(dir));
    std::printf("%s\n", path.c_str());
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::vector<reports::RunData> runs, reports::LoadModeRuns(dir));
  std::vector<reports::ComparisonRow> rows;
  for (const auto& run : runs) {
    ASSIGN_OR_RETURN(std::string path, reports::WriteRunReport(run.run_dir));
    std::printf("%s\n", path.c_str());
    rows.push_back(reports::RowOf(run));
  }
  ASSIGN_OR_RETURN(std::string path, reports::WriteComparisonReport(dir));
  std::printf("%s\n\n%s\n", path.c_str(), reports::FormatComparisonTable(rows).c_str());
  return Status::Ok();
}

}  // namespace

int RunReportCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Switch("help");
  if (Status s = flags.Parse(args); !s.ok() || flags.positional().empty()) {
    if (flags.Has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "faultline report: %s\n%s",
                 s.ok() ? "expected at least one RUN_DIR" : s.message().c_str(), kUsage);
    return 2;
  }
  int status = 0;
  for (const auto& dir : flags.positional()) {
    if (Status s = Report(dir); !s.ok()) {
      std::fprintf(stderr, "faultline report: %s\n", s.ToString().c_str());
      status = 2;
    }
  }
  return status;
}

}  // namespace faultline::harness
