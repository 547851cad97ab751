// `faultline run SCENARIO [--seed N] [--mode M] [--duration S] [--store DIR] [--keep-data]`
#include <cstdio>

#include "base/file.h"
#include "base/flags.h"
#include "base/logging.h"
#include "checkers/result.h"
#include "harness/commands.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "reports/comparison.h"

namespace faultline::harness {
namespace {

constexpr const char* kUsage =
    "usage: faultline run SCENARIO.json [--seed N] [--mode M] [--duration S] [--store DIR] "
    "[--keep-data]\n"
    "  Runs the scenario once per mode and writes store/<scenario>/<timestamp>/.\n"
    "Exit status: 0 valid, 1 invalid, 2 unknown or harness error.\n";

int Usage(const std::string& message) {
  std::fprintf(stderr, "faultline run: %s\n%s", message.c_str(), kUsage);
  return 2;
}

// The comparison table of every mode, then where each run and its report are.
void PrintOutcomeTable(const std::vector<RunOutcome>& outcomes) {
  std::vector<std::string> dirs;
  for (const auto& o : outcomes) dirs.push_back(o.run_dir);
  if (auto table = reports::FormatComparisonTableOf(dirs); table.ok()) {
    std::printf("\n%s", table->c_str());
  } else {
    std::fprintf(stderr, "faultline run: comparison: %s\n", table.status().ToString().c_str());
  }
  std::printf("\n");
  for (const auto& o : outcomes) {
    std::printf("%-15s %s%s\n", o.mode.c_str(), JoinPath(o.run_dir, "report.html").c_str(),
                o.as_expected() ? "" : ("  (expected " + o.expected + ")").c_str());
  }
  if (outcomes.size() > 1) {
    std::printf("%-15s %s\n", "comparison",
                JoinPath(DirName(outcomes[0].run_dir), "report.html").c_str());
  }
}

}  // namespace

int RunRunCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("seed")
      .Value("mode")
      .Value("duration")
      .Value("store")
      .Switch("keep-data")
      .Switch("help");
  if (Status s = flags.Parse(args); !s.ok()) return Usage(s.message());
  if (flags.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (flags.positional().size() != 1) return Usage("expected one SCENARIO file");
  RunOptions options;
  options.scenario_path = flags.positional()[0];
  options.store_dir = flags.GetOr("store", "store");
  options.keep_data = flags.Has("keep-data");
  auto seed = flags.GetInt("seed");
  if (!seed.ok()) return Usage(seed.status().message());
  if (seed->has_value()) options.seed = static_cast<uint64_t>(**seed);
  if (auto mode = flags.Get("mode")) {
    if (*mode != "at-most-once" && *mode != "at-least-once" && *mode != "exactly-once") {
      return Usage("--mode expects at-most-once, at-least-once or exactly-once");
    }
    options.mode = *mode;
  }
  if (auto d = flags.Get("duration")) {
    char* end = nullptr;
    double v = std::strtod(d->c_str(), &end);
    if (end == d->c_str() || *end != '\0' || v <= 0) return Usage("--duration expects seconds > 0");
    options.duration_s = v;
  }
  SetLogTag("faultline");
  auto scenario = LoadScenario(options.scenario_path);
  if (!scenario.ok()) {
    std::fprintf(stderr, "faultline run: %s\n", scenario.status().message().c_str());
    return 2;
  }
  auto outcomes = RunScenario(std::move(*scenario), options);
  if (!outcomes.ok()) {
    std::fprintf(stderr, "faultline run: %s\n", outcomes.status().ToString().c_str());
    return 2;
  }
  for (const auto& o : *outcomes) std::printf("\n== %s ==\n%s", o.mode.c_str(), o.summary.c_str());
  PrintOutcomeTable(*outcomes);
  return WorstExitCode(*outcomes);
}

}  // namespace faultline::harness
