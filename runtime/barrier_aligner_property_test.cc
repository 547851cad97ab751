// BarrierAligner over random channel interleavings: each channel is a FIFO script of records,
// barriers 1..k in order and possibly an early end of stream; a random scheduler takes the next
// item of a random channel the aligner lets it read. With alignment (exactly-once) the snapshot
// of checkpoint N holds exactly the records before N's barrier on every channel; without it,
// at least those, and any extra record comes after N's barrier on its channel.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "runtime/barrier_aligner.h"

namespace faultline::runtime {
namespace {

struct Item {
  enum class Kind { kRecord, kBarrier, kEnd };
  Kind kind;
  int64_t value = 0;  // record: its number on the channel; barrier: the checkpoint id
};

using Script = std::vector<Item>;
// Per channel, the numbers of the records applied to the task's "state".
using State = std::vector<std::set<int64_t>>;

// One channel: records, barrier 1, records, ..., barrier `barriers`, records, and an end of
// stream if `ends`.
Script MakeScript(int barriers, bool ends) {
  Script script;
  int64_t record = 0;
  for (int b = 0; b <= barriers; ++b) {
    if (b > 0) script.push_back({Item::Kind::kBarrier, b});
    int n = *rc::gen::inRange(0, 8);
    for (int i = 0; i < n; ++i) script.push_back({Item::Kind::kRecord, record++});
  }
  if (ends) script.push_back({Item::Kind::kEnd, 0});
  return script;
}

// The records of `script` before the barrier of `checkpoint`, or all of them if it has none.
std::set<int64_t> RecordsBefore(const Script& script, int64_t checkpoint) {
  std::set<int64_t> out;
  for (const Item& item : script) {
    if (item.kind == Item::Kind::kBarrier && item.value == checkpoint) break;
    if (item.kind == Item::Kind::kRecord) out.insert(item.value);
  }
  return out;
}

std::string Show(const std::vector<Script>& scripts) {
  std::ostringstream os;
  for (size_t c = 0; c < scripts.size(); ++c) {
    os << "channel " << c << ":";
    for (const Item& item : scripts[c]) {
      switch (item.kind) {
        case Item::Kind::kRecord:
          os << " r" << item.value;
          break;
        case Item::Kind::kBarrier:
          os << " B" << item.value;
          break;
        case Item::Kind::kEnd:
          os << " END";
          break;
      }
    }
    os << "\n";
  }
  return os.str();
}

void CheckInterleaving(bool aligned) {
  const int channels = *rc::gen::inRange(1, 7);
  const int checkpoints = *rc::gen::inRange(1, 5);
  std::vector<Script> scripts;
  for (int c = 0; c < channels; ++c) {
    bool ends = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
    int barriers = ends ? *rc::gen::inRange(0, checkpoints + 1) : checkpoints;
    scripts.push_back(MakeScript(barriers, ends));
  }
  RC_LOG() << Show(scripts);

  BarrierAligner aligner(static_cast<size_t>(channels), aligned);
  State state(static_cast<size_t>(channels));
  std::map<int64_t, State> snapshots;
  std::vector<int64_t> snapshot_order;
  auto snapshot = [&](int64_t id) {
    snapshot_order.push_back(id);
    snapshots.emplace(id, state);
    return Status::Ok();
  };

  std::vector<size_t> next(static_cast<size_t>(channels), 0);
  std::vector<int64_t> last_barrier(static_cast<size_t>(channels), 0);
  while (true) {
    std::vector<size_t> takeable;
    bool left = false;
    for (size_t c = 0; c < scripts.size(); ++c) {
      if (next[c] == scripts[c].size()) continue;
      left = true;
      if (aligner.Readable(c)) takeable.push_back(c);
    }
    if (!left) break;
    RC_ASSERT(!takeable.empty());  // otherwise alignment deadlocked
    size_t c = takeable[*rc::gen::inRange<size_t>(0, takeable.size())];
    const Item& item = scripts[c][next[c]++];
    switch (item.kind) {
      case Item::Kind::kRecord:
        state[c].insert(item.value);
        break;
      case Item::Kind::kBarrier: {
        Status s = aligner.OnBarrier(c, item.value, snapshot);
        RC_ASSERT(s.ok());
        last_barrier[c] = item.value;
        break;
      }
      case Item::Kind::kEnd:
        RC_ASSERT(aligner.OnEndOfStream(c, snapshot).ok());
        RC_ASSERT(aligner.Ended(c));
        break;
    }
    // Blocked exactly from a channel's barrier until that checkpoint's snapshot, if aligned.
    for (size_t k = 0; k < scripts.size(); ++k) {
      bool waiting = last_barrier[k] > 0 && snapshots.count(last_barrier[k]) == 0;
      RC_ASSERT(aligner.Blocked(k) == (aligned && waiting));
    }
  }

  // Every checkpoint whose barrier some channel delivered is snapshotted once, in order.
  std::vector<int64_t> expected_order;
  for (int64_t id = 1; id <= checkpoints; ++id) {
    bool delivered = std::any_of(scripts.begin(), scripts.end(), [&](const Script& s) {
      return std::any_of(s.begin(), s.end(), [&](const Item& i) {
        return i.kind == Item::Kind::kBarrier && i.value == id;
      });
    });
    if (delivered) expected_order.push_back(id);
  }
  RC_ASSERT(snapshot_order == expected_order);

  bool extra_seen = false;
  for (const auto& [id, snap] : snapshots) {
    for (size_t c = 0; c < scripts.size(); ++c) {
      std::set<int64_t> before = RecordsBefore(scripts[c], id);
      if (aligned) {
        RC_ASSERT(snap[c] == before);
        continue;
      }
      RC_ASSERT(std::includes(snap[c].begin(), snap[c].end(), before.begin(), before.end()));
      // What else it holds are records after N's barrier on this channel.
      for (int64_t r : snap[c]) {
        if (before.count(r) > 0) continue;
        extra_seen = true;
        RC_ASSERT(r >= static_cast<int64_t>(before.size()));
      }
    }
  }
  RC_CLASSIFY(extra_seen, "unaligned snapshot with post-barrier records");
  RC_CLASSIFY(
      std::any_of(scripts.begin(), scripts.end(),
                  [](const Script& s) { return !s.empty() && s.back().kind == Item::Kind::kEnd; }),
      "a channel ended");
}

RC_GTEST_PROP(BarrierAlignerProperty, AlignedSnapshotHoldsExactlyThePreBarrierRecords, ()) {
  CheckInterleaving(/*aligned=*/true);
}

RC_GTEST_PROP(BarrierAlignerProperty, UnalignedSnapshotHoldsAtLeastThePreBarrierRecords, ()) {
  CheckInterleaving(/*aligned=*/false);
}

// ---- protocol violations ----

Status NoSnapshot(int64_t) { return Status::Internal("unexpected snapshot"); }

TEST(BarrierAligner, BarrierFromABlockedChannelIsACallerBug) {
  BarrierAligner aligner(2, /*aligned=*/true);
  ASSERT_TRUE(aligner.OnBarrier(0, 1, NoSnapshot).ok());
  EXPECT_TRUE(aligner.Blocked(0));
  EXPECT_EQ(aligner.OnBarrier(0, 2, NoSnapshot).code(), Status::Code::kInternal);
}

TEST(BarrierAligner, BarriersMustIncreasePerChannel) {
  BarrierAligner aligner(2, /*aligned=*/false);
  ASSERT_TRUE(aligner.OnBarrier(0, 2, NoSnapshot).ok());
  EXPECT_EQ(aligner.OnBarrier(0, 2, NoSnapshot).code(), Status::Code::kCorruption);
  EXPECT_EQ(aligner.OnBarrier(0, 1, NoSnapshot).code(), Status::Code::kCorruption);
}

TEST(BarrierAligner, AlignedRefusesAnotherCheckpointWhileAligning) {
  BarrierAligner aligner(2, /*aligned=*/true);
  ASSERT_TRUE(aligner.OnBarrier(0, 1, NoSnapshot).ok());
  EXPECT_EQ(aligner.OnBarrier(1, 2, NoSnapshot).code(), Status::Code::kCorruption);
}

TEST(BarrierAligner, UnalignedAbandonsASkippedCheckpoint) {
  BarrierAligner aligner(2, /*aligned=*/false);
  std::vector<int64_t> done;
  auto snap = [&](int64_t id) {
    done.push_back(id);
    return Status::Ok();
  };
  ASSERT_TRUE(aligner.OnBarrier(0, 1, snap).ok());
  ASSERT_TRUE(aligner.OnBarrier(0, 2, snap).ok());
  ASSERT_TRUE(aligner.OnBarrier(1, 2, snap).ok());  // channel 1 skipped checkpoint 1
  EXPECT_EQ(done, std::vector<int64_t>{2});
  ASSERT_TRUE(aligner.OnEndOfStream(1, snap).ok());
  EXPECT_EQ(done, std::vector<int64_t>{2});
}

TEST(BarrierAligner, SnapshotErrorIsReturned) {
  BarrierAligner aligner(1, /*aligned=*/true);
  Status s = aligner.OnBarrier(0, 1, [](int64_t) { return Status::Aborted("disk full"); });
  EXPECT_EQ(s.code(), Status::Code::kAborted);
}

}  // namespace
}  // namespace faultline::runtime
