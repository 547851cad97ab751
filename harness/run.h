#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "checkers/result.h"
#include "harness/scenario.h"

namespace faultline::harness {

struct RunOptions {
  std::string store_dir = "store";
  std::optional<uint64_t> seed;
  std::optional<std::string> mode;
  std::optional<double> duration_s;
  bool keep_data = false;
  std::string scenario_path;  // for messages and the replay command
  std::string node_binary;    // faultline-node; default: beside the running faultline
};

// The outcome of one mode of a scenario run.
struct RunOutcome {
  std::string mode;
  std::string run_dir;
  checkers::Verdict verdict = checkers::Verdict::kUnknown;
  std::string expected = "valid";  // from the scenario's expect (valid, invalid, any)
  std::string summary;             // the checker's terminal summary
  bool as_expected() const;
};

// Runs a scenario once per mode: resolves the seed, plans the nemesis, starts the cluster,
// generates load, injects and heals faults, waits for quiescence, reads the output one last
// time, stops the cluster, merges the nodes' events into the history and checks it. Each mode's
// run lands in its own store directory. A harness error (bad scenario, a cluster that never
// comes up) is a Status; a run that does not reach quiescence is an outcome with verdict
// unknown.
Result<std::vector<RunOutcome>> RunScenario(Scenario scenario, const RunOptions& options);

// Exit status for a set of outcomes: 2 if any is unknown, else 1 if any is invalid, else 0.
int WorstExitCode(const std::vector<RunOutcome>& outcomes);

}  // namespace faultline::harness
