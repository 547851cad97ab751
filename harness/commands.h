#pragma once

#include <string>
#include <vector>

namespace faultline::harness {

// The subcommands of `faultline`. Each takes the arguments after its name and returns the
// process exit status: 0 valid, 1 invalid, 2 unknown / usage or harness error.
struct Command {
  const char* name;
  const char* usage;    // one line: "check RUN_DIR|HISTORY.jsonl [--mode M] [--out FILE]"
  const char* summary;  // one line
  int (*run)(const std::vector<std::string>& args);
};

// Defined beside each command's implementation; listed in faultline_main.cc (suite and
// shrink: shrink/shrink_command.h).
int RunCheckCommand(const std::vector<std::string>& args);
int RunRunCommand(const std::vector<std::string>& args);
int RunReportCommand(const std::vector<std::string>& args);

}  // namespace faultline::harness
