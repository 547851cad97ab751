#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline::reports {

// What happened to the cluster during a run, on the history's clock (ns since the run
// started): the part of history.jsonl that the checkers do not keep and the report draws.
struct TimelineInterval {
  int64_t begin = 0;
  int64_t end = 0;        // for an interval never closed: the end of the history
  bool closed = true;     // false: no end line in the history
  std::string kind;       // fault: its kind ("kill"); failover: "failover"
  std::string target;     // fault: its target; failover: the reason it began
  int64_t fault_id = -1;  // fault: the nemesis plan's id, -1 when the lines carry none
};

// A fault line with `"phase": "failed"`: an injection that did not take effect.
struct TimelineFailedFault {
  int64_t t = 0;
  std::string kind;
  std::string target;
  std::string error;
};

struct TimelineTick {
  int64_t t = 0;
  int64_t checkpoint = -1;
  bool completed = true;  // false: aborted or declined
  std::string reason;     // aborted: why
};

struct TimelinePhase {
  int64_t t = 0;
  std::string phase;
};

// A plain value; thread-compatible.
struct Timeline {
  std::string scenario;  // from the meta line
  std::string mode;
  std::optional<uint64_t> seed;
  std::vector<TimelineInterval> faults;            // sorted by begin (checkers::PairFaultEdges)
  std::vector<TimelineFailedFault> failed_faults;  // in line order
  std::vector<TimelineInterval> failovers;         // failover-begin -> failover-end / job-running
  std::vector<TimelineTick> checkpoints;           // completed and aborted, sorted by t
  std::vector<TimelinePhase> phases;               // in line order
  int64_t end_t = 0;                               // the largest `t` of any line
  uint64_t lines = 0;

  // When `phase` began and when the next phase began (end_t if none); nullopt if absent.
  std::optional<std::pair<int64_t, int64_t>> PhaseSpan(std::string_view phase) const;
};

// Extracts the timeline from history.jsonl text. Input, output and window lines are skipped
// without being parsed. A malformed line gives Corruption "line N: ...".
Result<Timeline> ParseTimeline(std::string_view text);
// The same for a file; errors name the file.
Result<Timeline> ReadTimeline(const std::string& path);

}  // namespace faultline::reports
