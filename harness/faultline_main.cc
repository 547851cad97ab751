// faultline: the harness CLI.
#include <cstdio>
#include <string>
#include <vector>

#include "base/version.h"

namespace {

constexpr const char* kUsage =
    R"(faultline: consistency testing and fault injection for stream processing

Usage:
  faultline --help          this text
  faultline --version       the version

Exit status: 0 valid, 1 invalid, 2 unknown or harness error.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::printf("faultline %s\n", faultline::kVersion);
    return 0;
  }
  std::fprintf(stderr, "faultline: unknown command '%s' (see --help)\n", args[0].c_str());
  return 2;
}
