// faultline: the harness CLI.
#include <cstdio>
#include <string>
#include <vector>

#include "base/version.h"
#include "bench/macro/bench_command.h"
#include "harness/commands.h"
#include "shrink/shrink_command.h"

namespace {

using faultline::harness::Command;

// Every subcommand, in the order --help lists them.
constexpr Command kCommands[] = {
    {"run", "run SCENARIO.json [--seed N] [--mode M] [--duration S] [--store DIR] [--keep-data]",
     "run a scenario under faults, record its history, check it",
     faultline::harness::RunRunCommand},
    {"suite",
     "suite PATH... [--shard I/N] [--junit FILE] [--store DIR] [--seed N] [--shrink] "
     "[--shrink-budget RUNS]",
     "run many scenarios; exit with the worst unexpected result; --shrink: shrink each failure",
     faultline::shrink::RunSuiteCommand},
    {"shrink", "shrink RUN_DIR [--budget RUNS] [--tries K] [--out FILE] [--verbose]",
     "find the smallest fault plan with which a failing run still fails",
     faultline::shrink::RunShrinkCommand},
    {"check", "check RUN_DIR|HISTORY.jsonl [--mode M] [--out FILE]",
     "check a recorded history and write results.json", faultline::harness::RunCheckCommand},
    {"report", "report RUN_DIR...",
     "redraw report.html (and a multi-mode run's comparison report) from a stored run",
     faultline::harness::RunReportCommand},
    {"bench", "bench [--quick] [--out FILE] [--only LIST] [--seed N]",
     "run the macro benchmarks; print a table and write bench.json",
     faultline::bench::RunBenchCommand},
};

void PrintUsage(FILE* out) {
  std::fputs("faultline: consistency testing and fault injection for stream processing\n\nUsage:\n",
             out);
  for (const Command& c : kCommands)
    std::fprintf(out, "  faultline %s\n      %s\n", c.usage, c.summary);
  std::fputs(
      "  faultline --help | --version\n\n"
      "Exit status: 0 valid, 1 invalid, 2 unknown or harness error.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::printf("faultline %s\n", faultline::kVersion);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (args[0] == c.name) return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "faultline: unknown command '%s' (see --help)\n", args[0].c_str());
  return 2;
}
