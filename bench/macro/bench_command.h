#pragma once

#include <string>
#include <vector>

namespace faultline::bench {

// `faultline bench [--quick] [--out FILE] ...`: runs the macro benchmarks one after another,
// prints a table and writes bench.json. Returns 0 when every benchmark ran (targets missed or
// not), 1 when one failed to run, 2 on bad usage.
int RunBenchCommand(const std::vector<std::string>& args);

}  // namespace faultline::bench
