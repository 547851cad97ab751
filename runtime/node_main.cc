// faultline-node: one process of the Faultline stream runtime.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/failpoint.h"
#include "base/version.h"
#include "runtime/failpoints.h"
#include "runtime/node_commands.h"

namespace {

constexpr const char* kUsage = R"(faultline-node: a process of the Faultline stream runtime

Usage:
  faultline-node coordinator --config FILE [--restore chk-N]
                 [--operator-parallelism N] [--sink-parallelism N]
  faultline-node worker --config FILE --id ID
  faultline-node example-config --workers N --mode MODE --dir DIR
                 [--backend memory|rocksdb] [--job count|window-count] [--slots S]
  faultline-node produce --config FILE --count N [--keys K] [--rate R] [--start-id I]
                 [--seed S] [--final-watermark]
  faultline-node consume --config FILE [--uncommitted] [--follow]
  faultline-node admin --config FILE [--node ID] status | failpoint NAME SPEC
  faultline-node failpoints      list every failpoint site with a one-line description
  faultline-node --help          this text
  faultline-node --version       the version

Failpoints are armed at start with FAULTLINE_FAILPOINTS="name=[P%][N*]action;...", where
action is off, crash, error(ERRNO), sleep(MS), pause or torn.

A coordinator started with other parallelisms than the config's rescales the job: it restores
the checkpoint (the latest, or --restore's) with its keyed state redistributed by key group.
)";

int ListFailpoints() {
  for (const auto& site : faultline::failpoint::Sites()) {
    std::printf("%-52s %s\n", site.name.c_str(), site.description.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  faultline::runtime::RegisterRuntimeFailpoints();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::printf("faultline-node %s\n", faultline::kVersion);
    return 0;
  }
  if (args[0] == "failpoints") return ListFailpoints();
  using namespace faultline::runtime;
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "coordinator") return CoordinatorCommand(rest);
  if (args[0] == "worker") return WorkerCommand(rest);
  if (args[0] == "example-config") return ExampleConfigCommand(rest);
  if (args[0] == "produce") return ProduceCommand(rest);
  if (args[0] == "consume") return ConsumeCommand(rest);
  if (args[0] == "admin") return AdminCommand(rest);
  std::fprintf(stderr, "faultline-node: unknown command '%s' (see --help)\n", args[0].c_str());
  return 2;
}
