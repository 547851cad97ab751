#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "checkers/history.h"

namespace faultline::checkers {

// What the synthetic history looks like. The defaults make a small history.
struct SyntheticOptions {
  JobKind job = JobKind::kCount;
  Mode mode = Mode::kExactlyOnce;
  uint64_t seed = 1;
  int64_t inputs = 1000;
  uint32_t keys = 16;
  int32_t partitions = 4;
  int64_t interval_ns = 1'000'000;              // between two inputs
  int64_t latency_ns = 2'000'000;               // base processing latency (up to 2x)
  int64_t checkpoint_interval_ns = 50'000'000;  // exactly-once commits on completion
  int64_t window_size = 20;                     // event-time ms (event_time = t in ms)
  int64_t disorder = 3;                         // event-time disorder, ms
  int faults = 2;                // fault intervals; delivery and checkpoints stall in them
  bool uncommitted_view = true;  // exactly-once: outputs are first seen uncommitted
};

// One line of a history as the generator makes it; tests mutate these before formatting.
struct HistoryLine {
  enum class Type : uint8_t {
    kMeta,
    kInput,
    kOutput,
    kWindow,
    kFault,
    kRuntime,
    kPhase,
    kRetraction
  };
  Type type = Type::kMeta;
  int64_t t = 0;
  uint64_t id = 0;
  uint32_t key = 0;       // formatted as "k<key>"
  int32_t partition = 0;  // input: kNoPartition leaves out both partition and offset
  int64_t offset = 0;
  int64_t event_time = 0;
  int64_t count = 0;
  int64_t start = 0;
  int64_t end = 0;
  int64_t checkpoint = 0;
  bool committed = true;
  uint32_t source = 0;  // output, window, retraction: formatted "seg-<source>" when > 0
  int64_t kept = 0;     // retraction: how many of the source's committed lines are still there
  SendStatus status = SendStatus::kOk;  // input: formatted when not ok
  std::string_view name;                // fault: its kind; runtime: the event
  std::string_view target;              // fault: its target
  std::string_view phase;               // fault: "begin" or "end"; phase: the phase
};

// Generates a clean history (docs/history-format.md) in time order: meta, phases through
// `final-read` and `done`, inputs at a steady rate over random keys and partitions (every send
// `ok`), faults during which delivery stalls, checkpoint completions, and outputs that deliver
// every input exactly once with counts 1..n per key in input order (count job; the delivery
// job's outputs are the same without their count) or one result per (key, window) equal to its
// input (window job). Exactly-once outputs become committed on checkpoint completion,
// seen uncommitted first when `uncommitted_view`; other modes commit on delivery. Memory is
// bounded by what is in flight, not by the history's length. Deterministic in the options.
void GenerateSyntheticHistory(const SyntheticOptions& options,
                              const std::function<void(const HistoryLine&)>& sink);
std::vector<HistoryLine> GenerateSyntheticLines(const SyntheticOptions& options);

// Appends `line` as one JSON line (with its newline) to `out`; the meta line takes its fields
// from `options`.
void AppendHistoryLine(const HistoryLine& line, const SyntheticOptions& options, std::string* out);
std::string FormatHistory(const std::vector<HistoryLine>& lines, const SyntheticOptions& options);

// Streams a synthetic history to `path` (for benchmarks); returns the number of lines.
Result<int64_t> WriteSyntheticHistory(const std::string& path, const SyntheticOptions& options);

}  // namespace faultline::checkers
