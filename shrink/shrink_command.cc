#include "shrink/shrink_command.h"

#include <cstdio>

#include "base/file.h"
#include "base/flags.h"
#include "base/logging.h"
#include "harness/suite.h"
#include "shrink/shrink_run.h"

namespace faultline::shrink {
namespace {

constexpr const char* kUsage =
    "usage: faultline shrink RUN_DIR [--budget RUNS] [--tries K] [--out FILE] [--verbose]\n"
    "  Searches for the smallest fault plan with which the run still fails with the same\n"
    "  anomaly kind (docs/shrinking.md). RUN_DIR is one mode's run directory, judged invalid.\n"
    "  --budget RUNS  real runs in all (default 40); an interrupted shrink resumes from\n"
    "                 RUN_DIR/shrink/shrink.json and counts the tries it already made\n"
    "  --tries K      runs per candidate: it fails if any fails (default: chosen from two\n"
    "                 reruns of the original, 1 to 5)\n"
    "  --out FILE     the minimal scenario (default RUN_DIR/shrink/minimal.json)\n"
    "Exit status: 0 a minimal scenario was written, 2 bad input, a harness error, or the\n"
    "failure did not reproduce.\n";

int Usage(const std::string& message) {
  std::fprintf(stderr, "faultline shrink: %s\n%s", message.c_str(), kUsage);
  return 2;
}

std::string Describe(const ShrinkSummary& s) {
  char line[512];
  std::snprintf(line, sizeof(line),
                "%d of %d faults left, run %.1f s (was %.1f s), %d tries (%d per candidate), "
                "%.0f s%s",
                s.minimal_faults, s.original_faults, s.minimal_duration_s, s.original_duration_s,
                s.tries_used, s.tries_per_candidate, s.wall_s,
                s.budget_exhausted ? "; the budget ran out: the best so far" : "");
  return line;
}

}  // namespace

int RunShrinkCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("budget").Value("tries").Value("out").Switch("verbose").Switch("help");
  if (Status s = flags.Parse(args); !s.ok()) return Usage(s.message());
  if (flags.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (flags.positional().size() != 1) return Usage("expected one RUN_DIR");
  ShrinkRequest request;
  request.run_dir = flags.positional()[0];
  request.minimal_path = flags.GetOr("out", "");
  auto budget = flags.GetInt("budget");
  auto tries = flags.GetInt("tries");
  if (!budget.ok()) return Usage(budget.status().message());
  if (!tries.ok()) return Usage(tries.status().message());
  request.budget = static_cast<int>(budget->value_or(harness::kDefaultShrinkBudget));
  request.tries = static_cast<int>(tries->value_or(0));
  if (tries->has_value() && request.tries < 1) return Usage("--tries: expected at least 1");
  SetLogTag("faultline");
  if (!flags.Has("verbose")) SetMinLogLevel(LogLevel::kWarning);
  auto summary = ShrinkRun(request);
  if (!summary.ok()) {
    std::fprintf(stderr, "faultline shrink: %s\n", summary.status().ToString().c_str());
    return 2;
  }
  std::printf("shrunk: %s\nminimal scenario: %s\nshrink log: %s\nreport: %s\n",
              Describe(*summary).c_str(), summary->minimal_path.c_str(), summary->log_path.c_str(),
              JoinPath(request.run_dir, "report.html").c_str());
  return 0;
}

int RunSuiteCommand(const std::vector<std::string>& args) {
  harness::SuiteShrinker shrinker = [](const std::string& run_dir, int budget,
                                       const std::string& minimal_path) -> Result<std::string> {
    ShrinkRequest request;
    request.run_dir = run_dir;
    request.budget = budget;
    request.minimal_path = minimal_path;
    ASSIGN_OR_RETURN(ShrinkSummary summary, ShrinkRun(request));
    return Describe(summary);
  };
  return harness::RunSuite(args, shrinker);
}

}  // namespace faultline::shrink
