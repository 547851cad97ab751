#include "runtime/sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline::runtime {
namespace {

OutputRecord Rec(uint64_t id) {
  OutputRecord r;
  r.id = id;
  r.key = "k" + std::to_string(id % 3);
  r.count = static_cast<int64_t>(id);
  return r;
}

std::vector<uint64_t> Ids(const std::vector<OutputEntry>& entries, bool committed) {
  std::vector<uint64_t> ids;
  for (const OutputEntry& e : entries) {
    if (e.committed == committed) ids.push_back(e.record.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<OutputEntry> Read(const std::string& dir, bool include_pending) {
  auto entries = ReadOutput(dir, include_pending);
  EXPECT_TRUE(entries.ok()) << entries.status().ToString();
  return entries.ok() ? *entries : std::vector<OutputEntry>{};
}

// Sinks of a job at parallelism 2 unless `parallelism` says otherwise.
std::unique_ptr<TransactionalSink> OpenSink(const std::string& dir, int subtask, int64_t attempt,
                                            const SinkSnapshot& restored = {},
                                            int parallelism = 2) {
  auto sink = TransactionalSink::Open(dir, subtask, parallelism, attempt, restored);
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  return sink.ok() ? std::move(sink).value() : nullptr;
}

using IdList = std::vector<uint64_t>;

// Writes `ids` as one epoch, pre-commits it as `checkpoint_id` and commits it.
void CommitEpoch(TransactionalSink& sink, int64_t checkpoint_id, const IdList& ids) {
  for (uint64_t id : ids) ASSERT_TRUE(sink.Write(Rec(id)).ok());
  ASSERT_TRUE(sink.PreCommit(checkpoint_id).ok());
  ASSERT_TRUE(sink.Commit(checkpoint_id).ok());
}

// Appends the first `bytes` bytes of a frame: a writer that died in the middle of a write.
void AppendTornFrame(const std::string& path, size_t bytes) {
  std::string payload;
  EncodeOutputRecord(Rec(999), &payload);
  std::string frame;
  AppendLogFrame(&frame, payload);
  ASSERT_LT(bytes, frame.size());
  ASSERT_TRUE(WriteFileAtomic(path, *ReadFileToString(path) + frame.substr(0, bytes)).ok());
}

TEST(SinkSnapshotTest, RoundTripsAndRejectsGarbage) {
  SinkSnapshot s{{{3, "sink-0-a1-chk-3.txn"}, {5, "sink-0-a1-chk-5.txn"}}};
  auto back = SinkSnapshot::Parse(s.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(*SinkSnapshot::Parse(SinkSnapshot{}.Serialize()), SinkSnapshot{});
  for (std::string_view bad : {"", "{", "[]", R"({"precommitted":3})",
                               R"({"precommitted":[{"checkpoint":"x","pending":"p"}]})",
                               R"({"precommitted":[{"pending":"p"}]})"}) {
    auto r = SinkSnapshot::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  }
}

// A restore from an older checkpoint (a fallback past an unreadable one, a rollback) leaves
// later committed output in place: committed output is final, and the replay adds to it.
TEST(TransactionalSinkTest, RestoringAnOlderCheckpointKeepsLaterCommittedOutput) {
  TempDir dir;
  auto sink = OpenSink(dir.path(), 0, 1);
  CommitEpoch(*sink, 1, {1});
  CommitEpoch(*sink, 2, {2});
  ASSERT_TRUE(sink->Write(Rec(3)).ok());
  auto pre = sink->PreCommit(3);  // pre-committed, never committed: aborted by the restore
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  sink.reset();

  auto restored = OpenSink(dir.path(), 0, 2);  // from chk-1's snapshot: nothing pending
  EXPECT_EQ(Ids(Read(dir.path(), true), true), (IdList{1, 2}));
  EXPECT_TRUE(Ids(Read(dir.path(), true), false).empty());
  CommitEpoch(*restored, 4, {2, 3});  // the replay
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{1, 2, 2, 3}));
}

TEST(TransactionalSinkTest, TwoPhaseCommitLifecycle) {
  TempDir dir;
  auto sink = OpenSink(dir.path(), 0, 1);
  ASSERT_TRUE(sink->Write(Rec(1)).ok());
  ASSERT_TRUE(sink->Write(Rec(2)).ok());
  EXPECT_TRUE(Read(dir.path(), true).empty()) << "buffered until Flush";
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ(Ids(Read(dir.path(), true), false), (IdList{1, 2}));
  EXPECT_TRUE(Read(dir.path(), false).empty());

  auto snap1 = sink->PreCommit(1);
  ASSERT_TRUE(snap1.ok());
  EXPECT_EQ(*snap1, (SinkSnapshot{{{1, "sink-0-a1-chk-1.txn"}}}));
  ASSERT_TRUE(sink->Write(Rec(3)).ok());
  auto snap3 = sink->PreCommit(3);  // checkpoint 2 never reached the sink
  ASSERT_TRUE(snap3.ok());
  EXPECT_EQ(*snap3, (SinkSnapshot{{{1, "sink-0-a1-chk-1.txn"}, {3, "sink-0-a1-chk-3.txn"}}}));
  EXPECT_EQ(sink->PreCommit(3).status().code(), Status::Code::kInvalidArgument);

  ASSERT_TRUE(sink->Commit(2).ok());  // commits txn 1 only
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{1, 2}));
  EXPECT_TRUE(PathExists(dir.File("committed/sink-0-chk-1.seg")));
  ASSERT_TRUE(sink->Commit(3).ok());
  ASSERT_TRUE(sink->Commit(3).ok());  // idempotent
  auto all = Read(dir.path(), true);
  EXPECT_EQ(Ids(all, true), (IdList{1, 2, 3}));
  EXPECT_TRUE(Ids(all, false).empty());
  auto snap4 = sink->PreCommit(4);
  ASSERT_TRUE(snap4.ok());
  EXPECT_EQ(snap4->precommitted.size(), 1u) << "committed transactions leave the snapshot";
}

// What the harness waits for before its final read: no output of the running attempt left in
// a transaction, open or pre-committed. An earlier attempt's leftovers are aborted output.
TEST(TransactionalSinkTest, PendingOutputBytesCountsTheAttemptsUncommittedOutput) {
  TempDir dir;
  auto bytes = [&](int64_t attempt) {
    auto n = PendingOutputBytes(dir.path(), attempt);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : uint64_t{0};
  };
  EXPECT_EQ(bytes(1), 0u) << "no output directory yet";
  auto stale = OpenSink(dir.path(), 1, 1);
  ASSERT_TRUE(stale->Write(Rec(9)).ok());
  ASSERT_TRUE(stale->Flush().ok());
  const uint64_t stale_bytes = bytes(1);
  EXPECT_GT(stale_bytes, 0u);

  auto sink = OpenSink(dir.path(), 0, 2);
  EXPECT_EQ(bytes(2), 0u) << "an empty open transaction holds nothing";
  ASSERT_TRUE(sink->Write(Rec(1)).ok());
  EXPECT_EQ(bytes(2), 0u) << "buffered in the sink, not written yet";
  ASSERT_TRUE(sink->Flush().ok());
  const uint64_t open_bytes = bytes(2);
  EXPECT_GT(open_bytes, 0u);
  ASSERT_TRUE(sink->PreCommit(1).ok());
  EXPECT_EQ(bytes(2), open_bytes) << "pre-committed is not committed";
  ASSERT_TRUE(sink->Commit(1).ok());
  EXPECT_EQ(bytes(2), 0u);
  EXPECT_EQ(bytes(1), stale_bytes) << "attempts are counted apart";
}

TEST(TransactionalSinkTest, OpenCommitsTheRestoredAndAbortsTheRest) {
  TempDir dir;
  SinkSnapshot completed;
  {
    auto sink = OpenSink(dir.path(), 0, 1);
    ASSERT_TRUE(sink->Write(Rec(1)).ok());
    completed = *sink->PreCommit(1);  // checkpoint 1 completes, commit notification lost
    ASSERT_TRUE(sink->Write(Rec(2)).ok());
    ASSERT_TRUE(sink->PreCommit(2).ok());  // checkpoint 2 never completes
    ASSERT_TRUE(sink->Write(Rec(3)).ok());
    ASSERT_TRUE(sink->Flush().ok());  // open transaction
  }
  auto other = OpenSink(dir.path(), 1, 1);  // another subtask's open transaction stays
  ASSERT_TRUE(other->Write(Rec(100)).ok());
  ASSERT_TRUE(other->Flush().ok());

  auto sink = OpenSink(dir.path(), 0, 2, completed);
  auto all = Read(dir.path(), true);
  EXPECT_EQ(Ids(all, true), (IdList{1}));
  EXPECT_EQ(Ids(all, false), (IdList{100}));
  auto pending = ListDir(dir.File("pending"));
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(*pending, (std::vector<std::string>{"sink-0-a2-chk-2.txn", "sink-1-a1-chk-1.txn"}));

  // Restoring the same checkpoint again (a crash right after the restore) is idempotent.
  sink.reset();
  sink = OpenSink(dir.path(), 0, 3, completed);
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{1}));
}

// A rescale from 3 sink subtasks to 2: sink-0 owns what sink-2 left behind. It commits the
// transaction the checkpoint pre-committed for sink-2 and aborts sink-2's open one; sink-1
// leaves sink-2's files alone.
TEST(TransactionalSinkTest, RescaleDownAdoptsTheTransactionsOfARemovedSubtask) {
  TempDir dir;
  auto old2 = OpenSink(dir.path(), 2, 1, {}, /*parallelism=*/3);
  ASSERT_NE(old2, nullptr);
  ASSERT_TRUE(old2->Write(Rec(20)).ok());
  auto snap = old2->PreCommit(5);  // checkpoint 5 completes; its notification never arrives
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_TRUE(old2->Write(Rec(21)).ok());
  ASSERT_TRUE(old2->Flush().ok());  // open transaction of checkpoint 6: to be aborted
  old2.reset();

  auto new1 = OpenSink(dir.path(), 1, 2, {}, /*parallelism=*/2);
  ASSERT_NE(new1, nullptr);
  EXPECT_EQ(Ids(Read(dir.path(), true), false), (IdList{20, 21}));  // not sink-1's to touch
  auto new0 = OpenSink(dir.path(), 0, 2, *snap, /*parallelism=*/2);
  ASSERT_NE(new0, nullptr);
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{20}));
  auto pending = ListDir(JoinPath(dir.path(), "pending"));
  ASSERT_TRUE(pending.ok());
  for (const std::string& name : *pending) EXPECT_FALSE(name.starts_with("sink-2-")) << name;
}

// After a rescale a key's output moves from one sink subtask's files to another's: readers
// take transactions in checkpoint order, so epoch 13 of sink-2 comes before epoch 14 of sink-0
// although "sink-0" sorts first.
TEST(TransactionalSinkTest, ReadersTakeTransactionsInCheckpointOrderAcrossSubtasks) {
  TempDir dir;
  auto old2 = OpenSink(dir.path(), 2, 1, {}, /*parallelism=*/3);
  ASSERT_NE(old2, nullptr);
  CommitEpoch(*old2, 13, {1});
  auto new0 = OpenSink(dir.path(), 0, 2, {}, /*parallelism=*/1);
  ASSERT_NE(new0, nullptr);
  CommitEpoch(*new0, 14, {2});
  std::vector<uint64_t> order;
  for (const OutputEntry& e : Read(dir.path(), false)) order.push_back(e.record.id);
  EXPECT_EQ(order, (IdList{1, 2}));
}

TEST(SinkOwnershipTest, EveryFormerSubtaskHasExactlyOneOwner) {
  for (int parallelism = 1; parallelism <= 5; ++parallelism) {
    for (int other = 0; other < 12; ++other) {
      int owners = 0;
      for (int s = 0; s < parallelism; ++s) owners += SinkOwnsSubtask(s, parallelism, other);
      EXPECT_EQ(owners, 1) << "subtask " << other << " at parallelism " << parallelism;
      EXPECT_TRUE(other >= parallelism || SinkOwnsSubtask(other, parallelism, other));
    }
  }
}

TEST(TransactionalSinkTest, RestoreOfAVanishedTransactionIsCorruption) {
  TempDir dir;
  auto sink =
      TransactionalSink::Open(dir.path(), 0, 2, 2, SinkSnapshot{{{4, "sink-0-a1-chk-4.txn"}}});
  ASSERT_FALSE(sink.ok());
  EXPECT_TRUE(sink.status().IsCorruption()) << sink.status().ToString();
  sink = TransactionalSink::Open(dir.path(), 0, 2, 2, SinkSnapshot{{{4, "../../etc/passwd"}}});
  ASSERT_FALSE(sink.ok());
  EXPECT_TRUE(sink.status().IsCorruption()) << sink.status().ToString();
}

TEST(TransactionalSinkTest, NeverOverwritesAnotherCommittedTransaction) {
  TempDir dir;
  auto first = OpenSink(dir.path(), 0, 1);
  CommitEpoch(*first, 1, {1});
  // A later attempt that reuses checkpoint id 1 must not replace the committed file.
  auto second = OpenSink(dir.path(), 0, 2);
  ASSERT_TRUE(second->Write(Rec(2)).ok());
  ASSERT_TRUE(second->PreCommit(1).ok());
  EXPECT_EQ(second->Commit(1).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{1}));
}

TEST(DirectSinkTest, RecoversFromATornTail) {
  TempDir dir;
  {
    auto sink = DirectSink::Open(dir.path(), 0);
    ASSERT_TRUE(sink.ok());
    for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE((*sink)->Write(Rec(id)).ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  const std::string log = dir.File("committed/sink-0.log");
  AppendTornFrame(log, 11);
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{1, 2, 3})) << "torn tail ignored";

  auto sink = DirectSink::Open(dir.path(), 0);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(Rec(5)).ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  auto scan = ReadLog(log);
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(scan->damage.has_value()) << scan->damage->reason;
  EXPECT_EQ(Ids(Read(dir.path(), false), true), (IdList{1, 2, 3, 5}));
}

TEST(ReadOutputTest, CorruptCommittedSegmentIsAnError) {
  TempDir dir;
  auto sink = OpenSink(dir.path(), 0, 1);
  CommitEpoch(*sink, 1, {1});
  const std::string seg = dir.File("committed/sink-0-chk-1.seg");
  std::string data = *ReadFileToString(seg);
  ASSERT_TRUE(WriteFileAtomic(seg, data.substr(0, data.size() - 1)).ok());
  auto r = ReadOutput(dir.path(), false);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("sink-0-chk-1.seg"), std::string::npos);
}

TEST(ReadOutputTest, MissingDirectoryIsEmpty) {
  TempDir dir;
  auto r = ReadOutput(dir.File("nothing-yet"), true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

// One poll that must not report a retraction.
Status PollOnly(OutputTailer& tailer, std::vector<OutputEntry>* seen) {
  std::vector<OutputRetraction> retracted;
  RETURN_IF_ERROR(tailer.Poll(seen, &retracted));
  if (!retracted.empty()) return Status::Internal("unexpected retraction of " + retracted[0].file);
  return Status::Ok();
}

TEST(OutputTailerTest, PendingThenCommittedThenAborted) {
  TempDir dir;
  OutputTailer tailer(dir.path(), /*include_pending=*/true);
  OutputTailer committed_only(dir.path(), /*include_pending=*/false);
  std::vector<OutputEntry> seen;
  std::vector<OutputEntry> seen_committed;
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());  // nothing there yet
  EXPECT_TRUE(seen.empty());

  auto sink = OpenSink(dir.path(), 0, 1);
  ASSERT_TRUE(sink->Write(Rec(1)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].committed);
  EXPECT_EQ(seen[0].file, "pending/sink-0-a1-chk-1.txn");
  ASSERT_TRUE(sink->Write(Rec(2)).ok());
  ASSERT_TRUE(sink->PreCommit(1).ok());
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  EXPECT_EQ(Ids(seen, false), (IdList{1, 2}));
  ASSERT_TRUE(PollOnly(committed_only, &seen_committed).ok());
  EXPECT_TRUE(seen_committed.empty());

  ASSERT_TRUE(sink->Commit(1).ok());
  ASSERT_TRUE(sink->Write(Rec(3)).ok());
  ASSERT_TRUE(sink->Flush().ok());
  seen.clear();
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  EXPECT_EQ(Ids(seen, true), (IdList{1, 2})) << "committed records show up again";
  EXPECT_EQ(Ids(seen, false), (IdList{3}));
  for (const OutputEntry& e : seen) {
    if (e.committed) {
      EXPECT_EQ(e.file, "committed/sink-0-chk-1.seg");
    }
  }
  ASSERT_TRUE(PollOnly(committed_only, &seen_committed).ok());
  EXPECT_EQ(Ids(seen_committed, true), (IdList{1, 2}));

  // A restore aborts the open transaction: it vanishes without an error.
  sink.reset();
  sink = OpenSink(dir.path(), 0, 2, {});
  seen.clear();
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  EXPECT_TRUE(seen.empty());
  ASSERT_TRUE(PollOnly(committed_only, &seen_committed).ok());
  EXPECT_EQ(seen_committed.size(), 2u) << "nothing is returned twice";
}

TEST(OutputTailerTest, FollowsADirectSinkAcrossATornTail) {
  TempDir dir;
  OutputTailer tailer(dir.path(), false);
  std::vector<OutputEntry> seen;
  auto sink = DirectSink::Open(dir.path(), 0);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(Rec(1)).ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  EXPECT_EQ(Ids(seen, true), (IdList{1}));
  // The writer dies mid-frame; the tailer waits at the torn frame without an error.
  AppendTornFrame(dir.File("committed/sink-0.log"), 5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  // The restarted writer cuts the torn tail and appends; the tailer carries on.
  sink = DirectSink::Open(dir.path(), 0);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(Rec(2)).ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  ASSERT_TRUE(PollOnly(tailer, &seen).ok());
  EXPECT_EQ(Ids(seen, true), (IdList{1, 2}));
}

// Committed output that goes away (a power loss takes back an un-fsynced tail, a segment is
// deleted) is reported as a retraction naming how much of the file is left, and reading goes
// on after what is left.
TEST(OutputTailerTest, ReportsCommittedOutputThatIsTakenBack) {
  TempDir dir;
  OutputTailer tailer(dir.path(), false);
  std::vector<OutputEntry> seen;
  std::vector<OutputRetraction> retracted;
  {
    auto sink = DirectSink::Open(dir.path(), 0);
    ASSERT_TRUE(sink.ok());
    for (uint64_t id : {1, 2, 3}) ASSERT_TRUE((*sink)->Write(Rec(id)).ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  ASSERT_TRUE(tailer.Poll(&seen, &retracted).ok());
  EXPECT_EQ(Ids(seen, true), (IdList{1, 2, 3}));
  EXPECT_TRUE(retracted.empty());

  const std::string log = dir.File("committed/sink-0.log");
  auto scan = ReadLog(log);
  ASSERT_TRUE(scan.ok() && scan->records.size() == 3u);
  ASSERT_EQ(::truncate(log.c_str(), static_cast<off_t>(scan->records[1].offset)), 0);
  seen.clear();
  ASSERT_TRUE(tailer.Poll(&seen, &retracted).ok());
  ASSERT_EQ(retracted.size(), 1u);
  EXPECT_EQ(retracted[0].file, "committed/sink-0.log");
  EXPECT_EQ(retracted[0].kept, 1);
  EXPECT_TRUE(seen.empty());

  retracted.clear();
  {
    auto sink = DirectSink::Open(dir.path(), 0);  // the restarted writer appends after the cut
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(Rec(4)).ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  ASSERT_TRUE(tailer.Poll(&seen, &retracted).ok());
  EXPECT_EQ(Ids(seen, true), (IdList{4}));
  EXPECT_TRUE(retracted.empty());

  auto txn = OpenSink(dir.path(), 1, 1);
  CommitEpoch(*txn, 1, {5});
  seen.clear();
  ASSERT_TRUE(tailer.Poll(&seen, &retracted).ok());
  EXPECT_EQ(Ids(seen, true), (IdList{5}));
  ASSERT_EQ(::unlink(dir.File("committed/sink-1-chk-1.seg").c_str()), 0);
  ASSERT_TRUE(tailer.Poll(&seen, &retracted).ok());
  ASSERT_EQ(retracted.size(), 1u);
  EXPECT_EQ(retracted[0].file, "committed/sink-1-chk-1.seg");
  EXPECT_EQ(retracted[0].kept, 0);
  retracted.clear();
  ASSERT_TRUE(tailer.Poll(&seen, &retracted).ok());
  EXPECT_TRUE(retracted.empty()) << "a retraction is reported once";
}

}  // namespace
}  // namespace faultline::runtime
