#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "harness/fault_plan.h"

namespace faultline::harness {

// One fault of the nemesis, with its timing. Exactly one of at_s / every_s / mean_interval_s
// says when it begins; duration_s how long it lasts (for kill: how long the node stays down;
// default 1 s, 0 for the one-shot kinds, restart and rescale, which leave nothing to undo).
struct FaultSpec {
  std::string fault;   // a kind of faults/fault_kind.h: kill, partition, ... (docs/faults.md)
  std::string target;  // a node id, role:ROLE[:QUANTITY], ... (harness/targets.h)
  std::optional<double> at_s;
  std::optional<double> every_s;
  std::optional<double> mean_interval_s;  // seeded random times (exponential gaps)
  double start_s = 1.0;                   // periodic and random faults begin after this
  double duration_s = 1.0;
  nlohmann::json params = nlohmann::json::object();  // fault-specific options, kept verbatim
};

struct WorkloadSpec {
  int64_t rate = 1000;  // records per second, open loop
  int keys = 50;
  std::string distribution = "uniform";  // uniform | zipf
  double zipf_exponent = 1.1;
  int64_t event_time_disorder_ms = 0;
};

// A scenario file, validated and with every default filled in. Its JSON form (ToJson) is the
// resolved scenario.json of a run: running it again replays the same schedule.
struct Scenario {
  std::string name;
  std::string system = "faultline";  // the kind of system under test (harness/system_registry.h)
  nlohmann::json system_params = nlohmann::json::object();  // its `system` members but `kind`
  std::optional<uint64_t> seed;                             // resolved before a run
  double duration_s = 10;
  std::vector<std::string> modes;  // one run per mode, same seeded schedule
  int workers = 2;                 // the built-in runtime's workers
  int slots = 4;                   // and task slots per worker
  std::string network = "direct";  // direct | proxy | netns
  bool faultfs = false;  // faultfs over the system's durable directories (docs/faultfs.md)
  nlohmann::json job = nlohmann::json::object();  // runtime job settings (operator, parallelism...)
  WorkloadSpec workload;
  std::vector<FaultSpec> nemesis;
  // A fixed schedule instead of a nemesis (the two exclude each other): what a stored run or
  // a shrink replays exactly (harness/fault_plan.h).
  std::optional<std::vector<PlannedFault>> plan;
  int max_active_faults = 1000;
  std::vector<std::string> checks;
  double quiesce_timeout_s = 60;
  int quiesce_checkpoints = 3;  // no progress across this many completed checkpoints: done
  bool observe_uncommitted = false;
  nlohmann::json expect = nlohmann::json::object();  // per-mode verdict overrides

  std::string job_operator() const;
  nlohmann::json ToJson() const;
};

// Parses and validates a scenario. Every error names `source`, the JSON path and what was
// expected; unknown keys are errors. Nothing is started before this succeeds.
Result<Scenario> ParseScenario(std::string_view text, const std::string& source);
Result<Scenario> LoadScenario(const std::string& path);

// A disk fault's storage failpoint and spec, from its params:
//   op     "write" (default) or "fsync": which storage call fails;
//   error  "EIO" (default), "ENOSPC", any errno name or number, "torn" (op write only: half
//          the bytes are written, then the process crashes) or "lie" (op fsync only: it
//          reports success and syncs nothing, which a power-loss then shows);
//   count  how many calls fail (default 1; 0 = every call while the fault lasts);
//   probability  percent of calls that fail (default 100).
// E.g. {"op": "write", "error": "ENOSPC", "count": 3} -> ("storage.write", "3*error(ENOSPC)").
// Errors name `source` and `path` (the params object's JSON path).
Result<std::pair<std::string, std::string>> DiskFailpoint(const nlohmann::json& params,
                                                          const std::string& path,
                                                          const std::string& source);

}  // namespace faultline::harness
