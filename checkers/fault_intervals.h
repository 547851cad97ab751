#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace faultline::checkers {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();  // "no such time"

// One `fault` line of a history (docs/history-format.md), as PairFaultEdges() needs it.
struct FaultEdge {
  enum class Phase : uint8_t {
    kBegin,
    kEnd,
    kFailed,  // the injection did not take effect: never an interval
  };
  int64_t t = 0;
  Phase phase = Phase::kBegin;
  int64_t fault_id = -1;  // the nemesis plan's id of the fault; -1 when the line has none
  std::string fault;      // "kill", "partition", ...
  std::string target;     // "worker-1"; non-string targets are kept as their JSON text
};

// A fault from its `begin` line to its `end` line (end == kNever: never healed in the history).
struct FaultInterval {
  std::string fault;
  std::string target;
  int64_t begin = 0;
  int64_t end = kNever;
  int64_t fault_id = -1;
};

// Pairs fault lines into intervals, the one rule for the checkers and the report. Edges are
// taken in time order (ties in the given order) and keyed by (fault_id, fault, target), where
// an absent fault_id is a key value of its own: a `begin` while its key is open is ignored (the
// first begin holds); an `end` closes the open interval of its key, and is ignored when none
// is open; an interval never closed ends at kNever. `kFailed` edges are ignored: they never
// open or close an interval. Returns the intervals sorted by begin (ties in edge order).
// Pure function; thread-safe.
std::vector<FaultInterval> PairFaultEdges(std::vector<FaultEdge> edges);

}  // namespace faultline::checkers
