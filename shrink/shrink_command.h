#pragma once

#include <string>
#include <vector>

namespace faultline::shrink {

// `faultline shrink RUN_DIR [--budget RUNS] [--tries K] [--out FILE] [--verbose]`
int RunShrinkCommand(const std::vector<std::string>& args);

// `faultline suite ... [--shrink] [--shrink-budget RUNS]`: the suite (harness/suite.h) with
// its failing runs shrunk.
int RunSuiteCommand(const std::vector<std::string>& args);

}  // namespace faultline::shrink
