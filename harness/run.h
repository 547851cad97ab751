#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "checkers/result.h"
#include "harness/scenario.h"
#include "systems/system.h"

namespace faultline::harness {

struct RunOptions {
  std::string store_dir = "store";
  std::optional<uint64_t> seed;
  std::optional<std::string> mode;
  std::optional<double> duration_s;
  bool keep_data = false;
  std::string scenario_path;  // for messages and the replay command
  std::string node_binary;    // faultline-node; default: beside the running faultline
  // Makes the system under test for each mode's run; default: the scenario's kind from the
  // registry (harness/system_registry.h). Tests plug in systems of their own here.
  std::function<Result<std::unique_ptr<systems::System>>(const Scenario&)> make_system;
  // Takes the run's progress line instead of stderr (a shrink shows it inside its own line).
  std::function<void(const std::string& line)> progress;
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

// Runs a scenario once per mode: resolves the seed, sets up the system under test and its
// network, plans the nemesis, starts the nodes, generates load through the system's client,
// injects and heals faults, waits for the system to be quiescent, reads its output one last
// time, stops it, merges the nodes' events into the history and checks it. Each mode's run
// lands in its own store directory. A harness error (a bad scenario, a node that does not
// start, a system that never becomes ready) is a Status; a run that does not reach quiescence
// is an outcome with verdict unknown.
Result<std::vector<RunOutcome>> RunScenario(Scenario scenario, const RunOptions& options);

// Exit status for a set of outcomes: 2 if any is unknown, else 1 if any is invalid, else 0.
int WorstExitCode(const std::vector<RunOutcome>& outcomes);

}  // namespace faultline::harness
