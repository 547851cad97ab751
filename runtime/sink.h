#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/record_log.h"
#include "base/status.h"
#include "runtime/output_record.h"

namespace faultline::runtime {

// Output directory layout (shared by every worker; all on one filesystem):
//   OUT/committed/           committed output: every file here is visible to readers
//     sink-<k>-chk-<N>.seg     a committed transaction of sink subtask k (exactly-once)
//     sink-<k>.log             the append-only output of sink subtask k (direct sink)
//   OUT/pending/             transactions not yet committed (the "uncommitted view")
//     sink-<k>-a<ATTEMPT>-chk-<N>.txn     open or pre-committed transaction
// Every file is a CRC-framed record log (base/record_log.h) of EncodeOutputRecord payloads.

// The sink's part of a checkpoint: the transactions that were pre-committed but not yet
// known committed when the checkpoint's barrier passed. Serialised into the checkpoint.
struct SinkSnapshot {
  struct Txn {
    int64_t checkpoint_id = 0;
    std::string pending_name;  // file name in OUT/pending/
    bool operator==(const Txn&) const = default;
  };
  std::vector<Txn> precommitted;
  std::string Serialize() const;
  static Result<SinkSnapshot> Parse(std::string_view data);
  bool operator==(const SinkSnapshot&) const = default;
};

// TransactionalSink is the two-phase-commit sink of one sink subtask, epoch by epoch: records
// go to the open transaction of the next checkpoint; PreCommit(N) flushes and fsyncs it and
// opens the next one; Commit(N) atomically renames every pre-committed transaction <= N into
// committed/ and fsyncs the directory. Commit is idempotent: a transaction already renamed
// (by this sink before a crash, or by a zombie of an older attempt) counts as committed.
//
// Open() restores: it commits the pre-committed transactions of the restored checkpoint's
// SinkSnapshot (they belong to a completed checkpoint) and aborts (deletes) every other
// pending transaction of the subtasks it owns (SinkOwnsSubtask), of any attempt.
// Thread-compatible: one sink task thread.
class TransactionalSink {
 public:
  // `restored`: the merged snapshots of every subtask this one owns in the restored checkpoint.
  static Result<std::unique_ptr<TransactionalSink>> Open(const std::string& output_dir, int subtask,
                                                         int parallelism, int64_t attempt,
                                                         const SinkSnapshot& restored);
  virtual ~TransactionalSink() = default;

  // Appends to the open transaction (buffered; visible in pending/ after Flush or PreCommit).
  virtual Status Write(const OutputRecord& record) = 0;
  // Makes buffered records visible in the uncommitted view (no fsync).
  virtual Status Flush() = 0;
  // Closes the open transaction as the one of checkpoint `checkpoint_id` (flush + fsync +
  // directory fsync; failpoint sink.precommit), opens the next, and returns the snapshot to
  // store in that checkpoint: every pre-committed, not yet committed transaction.
  virtual Result<SinkSnapshot> PreCommit(int64_t checkpoint_id) = 0;
  // Commits every pre-committed transaction with id <= checkpoint_id (failpoints
  // sink.commit.before_rename, sink.commit.after_rename).
  virtual Status Commit(int64_t checkpoint_id) = 0;
};

// Whether sink subtask `subtask` of `parallelism` owns the transactions of sink subtask `other`
// (of this or an earlier deployment): its own, and after a rescale down those of every subtask
// k >= parallelism with k % parallelism == subtask. An owner commits what the restored
// checkpoint pre-committed for them and aborts their other leftovers, so that no transaction of
// a subtask that no longer exists is lost or left pending (docs/design.md, "Rescaling").
bool SinkOwnsSubtask(int subtask, int parallelism, int other);

// DirectSink appends every record straight to committed/sink-<k>.log (at-least-once and
// at-most-once): visible once flushed, never rolled back, durable only once synced. Opening
// cuts a torn tail left by a crash. At-least-once syncs at each checkpoint barrier, because a
// restore replays only what came after the barrier; at-most-once never syncs, because it may
// lose output (docs/design.md, "Delivery modes"). Thread-compatible.
class DirectSink {
 public:
  static Result<std::unique_ptr<DirectSink>> Open(const std::string& output_dir, int subtask);
  Status Write(const OutputRecord& record);
  // Makes written records visible to readers (no fsync).
  Status Flush();
  // Flush + fsync: every record written so far survives a power loss.
  Status Sync();

 private:
  explicit DirectSink(RecordLogWriter writer) : writer_(std::move(writer)) {}
  RecordLogWriter writer_;
  std::string scratch_;
};

// Reads a whole output directory: committed files, or committed + pending with
// `include_pending`. Each record carries the file it came from (for the uncommitted view).
struct OutputEntry {
  OutputRecord record;
  std::string file;  // relative to OUT, e.g. "committed/sink-0-chk-12.seg"
  bool committed = true;
};
Result<std::vector<OutputEntry>> ReadOutput(const std::string& output_dir, bool include_pending);

// Bytes that the transactions of attempt `attempt` hold in OUT/pending/ (pre-committed or
// open): output a sink has written and the next completed checkpoint will commit. Pending
// files of other attempts are aborted output and do not count. 0 when pending/ is missing.
// The harness waits for 0 before its final read (docs/design.md, "When a run is judged").
Result<uint64_t> PendingOutputBytes(const std::string& output_dir, int64_t attempt);

// Committed output that an output directory no longer holds: of the records an OutputTailer
// returned from committed file `file`, only the first `kept` are still there (0: the file is
// gone). A power loss that takes back un-fsynced output, or a deleted segment, does this.
struct OutputRetraction {
  std::string file;  // relative to OUT
  int64_t kept = 0;
};

// OutputTailer follows an output directory as it grows (the harness observer, `consume
// --follow`): each Poll() returns the records that appeared since the previous Poll, from
// committed files and, with `include_pending`, from pending transactions. A pending transaction
// that gets committed shows up again from its committed file (now committed=true); one that is
// aborted just stops growing. A committed file that disappears, shrinks below what was read or
// is replaced is a retraction (reported before any record read from it in the same Poll);
// reading goes on from the end of what is still there. Thread-compatible.
class OutputTailer {
 public:
  OutputTailer(std::string output_dir, bool include_pending);
  ~OutputTailer();
  Status Poll(std::vector<OutputEntry>* out, std::vector<OutputRetraction>* retracted);

 private:
  struct Followed;
  Status Rescan(Followed& f, std::vector<OutputRetraction>* retracted);

  std::string output_dir_;
  bool include_pending_;
  std::vector<std::unique_ptr<Followed>> followed_;
};

}  // namespace faultline::runtime
