#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mode.h"
#include "base/send_status.h"
#include "base/status.h"
#include "checkers/deliveries_by_source.h"
#include "checkers/fault_intervals.h"
#include "checkers/json_line.h"

namespace faultline::checkers {

// The delivery mode a history was recorded under (base/mode.h).
using ::faultline::Mode;
using ::faultline::ModeName;
using ::faultline::ParseMode;

// What the job does with the records, which decides the checkers that apply
// (checkers/registry.h): `count` (a running count per key), `window-count` (tumbling-window
// counts per key) or `delivery` (records delivered as they are, no per-key state).
enum class JobKind { kCount, kWindowCount, kDelivery };
// "count", "window-count" (or "window"), "delivery".
std::optional<JobKind> ParseJobKind(std::string_view name);
std::string_view JobKindName(JobKind job);

// The outcome of a send as the system under test reported it (base/send_status.h).
using ::faultline::ParseSendStatus;
using ::faultline::SendStatus;
using ::faultline::SendStatusName;

constexpr uint32_t kNoKey = std::numeric_limits<uint32_t>::max();
constexpr int32_t kNoPartition = -1;                                // an input without partition
constexpr int64_t kNoOffset = std::numeric_limits<int64_t>::min();  // an input without offset
constexpr int64_t kNoCount = std::numeric_limits<int64_t>::min();   // an output without count

// The history's events, compact and typed (docs/history-format.md). Keys are interned:
// events hold an index into History::keys. Times `t` are nanoseconds since the run started.
// An input is a send invoked at `t`; `status` is its outcome.
// 40 bytes: a 10M-event history holds 5M of them (docs/benchmarks.md, the checker's memory).
struct InputEvent {
  int64_t t;
  uint64_t id;
  int64_t offset;  // kNoOffset when the line has none
  int64_t event_time;
  int32_t partition;  // kNoPartition when the line has none
  uint32_t key : 30;  // below kMaxKeys
  SendStatus status : 2;
};
static_assert(sizeof(InputEvent) == 40);

// The most distinct keys a history may name (an input's key has 30 bits).
constexpr uint32_t kMaxKeys = (1u << 30) - 1;

struct OutputEvent {
  int64_t t;
  uint64_t id;
  int64_t count;  // kNoCount when the line has none
  uint32_t key;   // kNoKey when the line names none
  bool committed;
  bool retracted = false;  // committed, then taken back (a `retraction` line)
};

struct WindowEvent {
  int64_t t;
  int64_t start;
  int64_t end;
  int64_t count;
  uint32_t key;
  bool committed;
  bool retracted = false;  // committed, then taken back (a `retraction` line)
};

// A fault line with `"phase": "failed"`: an injection that did not take effect. Never an
// interval, never an active fault in an anomaly's context.
struct FailedFault {
  int64_t t = 0;
  std::string fault;
  std::string target;
  std::string error;  // the line's `error`; "" when it has none
};

struct CheckpointEvent {
  int64_t t;
  int64_t id;
};

// A committed delivery that the system took back (its `source` lost it): history.outputs or
// history.windows[index], retracted at `t`.
struct RetractionEvent {
  int64_t t;
  uint32_t index;
  bool window;
};

// A restore that went back past the newest completed checkpoint (the runtime's
// `restore-went-back`): a fallback past an unreadable checkpoint, or an explicit rollback.
// Output committed after `checkpoint` stays, and the replay emits it again.
struct RestoreBackEvent {
  int64_t t;
  int64_t checkpoint;  // restored from; 0: from scratch
  int64_t newest;
  bool rollback;
};

struct PhaseEvent {
  int64_t t;
  std::string phase;
  std::string error;  // why, for the `aborted` phase
};

// The error a `fail` or `unknown` send reported, for the input at `input` (an index into
// History::inputs). Kept apart from InputEvent: few sends have one.
struct SendError {
  uint32_t input;
  std::string error;
};

struct HistoryMeta {
  bool present = false;
  std::string scenario;
  std::string mode;  // as written; may be empty or unknown
  std::string job;
  std::string system;  // the system under test, as named; informational
  std::optional<uint64_t> seed;
  std::optional<int64_t> window_size;  // event-time units; the window job's tumbling size
  // The checkers the scenario selected (names from CheckerNames()); nullopt: all of them.
  std::optional<std::vector<std::string>> checks;
};

// A parsed history.jsonl. A plain value; thread-compatible.
struct History {
  HistoryMeta meta;
  std::vector<std::string> keys;  // interned key names
  std::vector<InputEvent> inputs;
  std::vector<SendError> send_errors;           // by input index
  std::vector<OutputEvent> outputs;             // committed and uncommitted, in line order
  std::vector<WindowEvent> windows;             // committed and uncommitted, in line order
  std::vector<FaultInterval> faults;            // sorted by begin (PairFaultEdges)
  std::vector<FailedFault> failed_faults;       // in line order
  std::vector<CheckpointEvent> checkpoints;     // completed checkpoints, sorted by t
  std::vector<PhaseEvent> phases;               // in line order
  std::vector<RetractionEvent> retractions;     // in line order
  std::vector<RestoreBackEvent> restores_back;  // in line order
  uint64_t lines = 0;                           // lines read, blank ones included
  uint64_t counted_outputs = 0;                 // output lines that carry a `count`
  uint64_t failed_sends = 0;                    // input lines with status `fail`
  uint64_t unknown_sends = 0;                   // input lines with status `unknown`
  int64_t end_t = 0;                            // the largest `t` of any line

  bool HasPhase(std::string_view phase) const;
};

// HistoryReader turns history.jsonl text into a History, one chunk at a time, so that a large
// file is never held in memory whole. Lines are JSON objects with a "type" member; unknown
// types and unknown members are ignored, blank lines are skipped. A malformed line (bad JSON,
// a missing or mistyped required member) makes Feed()/Finish() return Corruption whose message
// starts with "line N: ". Thread-compatible: one reader per history.
class HistoryReader {
 public:
  HistoryReader() = default;
  HistoryReader(const HistoryReader&) = delete;
  HistoryReader& operator=(const HistoryReader&) = delete;

  // Parses every complete line of `data`; a trailing partial line waits for the next call.
  Status Feed(std::string_view data);
  // A hint: `bytes_so_far` of `total_bytes` have been fed; event vectors are sized for the
  // rest at the same mix, so that they are not copied as they grow.
  void ReserveFor(uint64_t total_bytes, uint64_t bytes_so_far);
  // Parses a last line that lacks its newline, if any.
  Status FeedEnd();
  // Parses the last line (it may lack a newline) and returns the history. Call once.
  Result<History> Finish();

  // For a reader of a later part of a file, read at the same time as the earlier parts:
  // deliveries and retractions by `source` wait for Append(), which applies them after those
  // of the earlier parts, as the history format's rule needs (docs/history-format.md).
  void DeferSources() { defer_sources_ = true; }
  // Takes what `later` parsed from the lines right after this reader's, as if this reader had
  // read them, giving back `later`'s memory as it goes. `later_status` is what `later`'s Feed()
  // returned; a Corruption it reports is numbered on from this reader's lines. Call before
  // Finish(), after this reader's last Feed() (which ended with a newline).
  Status Append(HistoryReader&& later, const Status& later_status);

 private:
  struct Fields;
  Status ParseLine(std::string_view line);
  Status ParseFields(const Fields& f);
  Status ParseInput(const Fields& f);
  Status ParseOutput(const Fields& f);
  void AddInput(const InputEvent& e, const JsonMember* error);
  bool KeyOf(const JsonMember* m, uint32_t* out);
  Status GetKey(const JsonMember* m, std::string_view type, uint32_t* out);
  uint32_t InternKey(std::string_view key);
  Status NoteSource(const JsonMember* source, uint32_t delivery);
  Status ParseRetraction(const Fields& f, int64_t t);
  // A committed delivery from a source, and a retraction: applied now, or kept in line order
  // for Append() when this reader defers its sources.
  void AddDelivery(std::string_view source, uint32_t delivery);
  void Retract(const std::string& source, int64_t kept, int64_t t);

  // DeferSources(): the deliveries and retractions by source, in line order, for Append().
  struct SourceOp {
    uint32_t source;    // index into deferred_sources_
    uint32_t delivery;  // as in by_source_, or kRetractionOp: the next of deferred_retractions_
  };
  struct DeferredRetraction {
    int64_t kept;
    int64_t t;
  };
  static constexpr uint32_t kRetractionOp = UINT32_MAX;
  uint32_t DeferredSource(std::string_view name);
  bool defer_sources_ = false;
  std::vector<std::string> deferred_sources_;
  std::unordered_map<std::string, uint32_t> deferred_index_;
  uint32_t last_deferred_ = UINT32_MAX;
  std::vector<SourceOp> source_ops_;
  std::vector<DeferredRetraction> deferred_retractions_;

  // The failing line of a Corruption, and its message without the line: Append() renumbers it.
  uint64_t failed_line_ = 0;
  std::string failed_message_;

  // Committed deliveries by `source`, as line indices (bit 31: a window), so that a
  // retraction can name the ones it takes back.
  DeliveriesBySource<uint32_t> by_source_;

  History history_;
  std::string pending_;                 // an incomplete last line carried between Feed() calls
  std::vector<uint32_t> key_slots_;     // open addressing: indices into history_.keys
  std::vector<uint64_t> key_hashes_;    // per key
  std::vector<FaultEdge> fault_edges_;  // paired into intervals by Finish()
  std::vector<JsonMember> members_;
  std::string scratch_;
};

// Reads and parses a history file; errors name the file and the line. A file of at least
// `two_part_min_bytes` is parsed in two parts at once (the second by a thread of its own).
constexpr uint64_t kTwoPartMinBytes = uint64_t{64} << 20;
Result<History> ReadHistoryFile(const std::string& path,
                                uint64_t two_part_min_bytes = kTwoPartMinBytes);
// Parses history text held in memory (tests, tools).
Result<History> ParseHistory(std::string_view text);

}  // namespace faultline::checkers
