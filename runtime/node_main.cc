// faultline-node: one process of the Faultline stream runtime.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/failpoint.h"
#include "base/version.h"
#include "runtime/failpoints.h"

namespace {

constexpr const char* kUsage = R"(faultline-node: a process of the Faultline stream runtime

Usage:
  faultline-node failpoints      list every failpoint site with a one-line description
  faultline-node --help          this text
  faultline-node --version       the version

Failpoints are armed at start with FAULTLINE_FAILPOINTS="name=[P%][N*]action;...", where
action is off, crash, error(ERRNO), sleep(MS), pause or torn.
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
  std::fprintf(stderr, "faultline-node: unknown command '%s' (see --help)\n", args[0].c_str());
  return 2;
}
