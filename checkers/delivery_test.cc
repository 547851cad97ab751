#include "checkers/delivery.h"

#include <gtest/gtest.h>

#include "checkers/testing.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

CheckResult CheckCount(const HistoryText& text) { return text.Check({Mode::kExactlyOnce}); }

TEST(Delivery, CleanHistoryHasNoAnomaly) {
  HistoryText h;
  h.Input(10, 1, "a").Input(20, 2, "b").Output(30, 1, "a", 1).Output(40, 2, "b", 1).FinalRead(50);
  CheckResult r = CheckCount(h);
  EXPECT_TRUE(r.Find("delivery")->clean());
  EXPECT_TRUE(r.Find("visibility")->clean());
  EXPECT_EQ(r.verdict, Verdict::kValid);
}

TEST(Delivery, LostIsAnInputWithNoCommittedOutput) {
  HistoryText h;
  h.Fault(5, "kill", "worker-1", "begin")
      .Checkpoint(8, 3)
      .Input(10, 1, "a", 2, 17, 1234)
      .Input(20, 2, "a")
      .Input(25, 3, "b")
      .Checkpoint(28, 4)
      .Output(30, 2, "a", 1)
      .Output(35, 3, "b", 1, /*committed=*/false)  // seen, never committed: lost too
      .Fault(60, "kill", "worker-1", "end")
      .FinalRead(100);
  CheckResult r = CheckCount(h);
  EXPECT_EQ(r.Figure("delivery.lost"), 2);
  const Anomaly* lost = r.Find("delivery")->Find("lost");
  ASSERT_EQ(lost->examples.size(), 2u);
  const nlohmann::json& e = lost->examples[0];
  EXPECT_EQ(e["id"], 1);
  EXPECT_EQ(e["key"], "a");
  EXPECT_EQ(e["input"]["t"], 10);
  EXPECT_EQ(e["input"]["partition"], 2);
  EXPECT_EQ(e["input"]["offset"], 17);
  EXPECT_TRUE(e["latency_ns"].is_null());
  ASSERT_EQ(e["faults"].size(), 1u);
  EXPECT_EQ(e["faults"][0]["fault"], "kill");
  EXPECT_EQ(e["faults"][0]["target"], "worker-1");
  EXPECT_EQ(e["faults"][0]["begin"], 5);
  EXPECT_EQ(e["faults"][0]["end"], 60);
  EXPECT_EQ(e["checkpoints"]["before"]["id"], 3);
  EXPECT_EQ(e["checkpoints"]["after"]["id"], 4);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
}

TEST(Delivery, DuplicatedCountsExtraCommittedCopies) {
  HistoryText h;
  h.Input(10, 1, "a").Input(11, 2, "a").Input(12, 3, "b");
  h.Output(20, 1, "a", 1).Output(21, 1, "a", 1);                        // two copies: 1
  h.Output(22, 2, "a", 2).Output(23, 2, "a", 2).Output(24, 2, "a", 2);  // three: 2
  h.Output(25, 3, "b", 1).Output(26, 3, "b", 1, /*committed=*/false);   // uncommitted: 0
  h.FinalRead(30);
  CheckResult r = CheckCount(h);
  EXPECT_EQ(r.Figure("delivery.duplicated"), 3);
  EXPECT_EQ(r.Figure("delivery.lost"), 0);
  const Anomaly* dup = r.Find("delivery")->Find("duplicated");
  ASSERT_EQ(dup->examples.size(), 2u);
  EXPECT_EQ(dup->examples[1]["id"], 2);
  EXPECT_EQ(dup->examples[1]["copies"], 3);
  EXPECT_EQ(dup->examples[1]["outputs"].size(), 3u);
  EXPECT_EQ(dup->examples[1]["latency_ns"], 22 - 11);
  // Identical re-deliveries are delivery duplicates only, never state anomalies.
  EXPECT_TRUE(r.Find("state")->clean());
  EXPECT_TRUE(r.Find("order")->clean());
}

TEST(Delivery, UnexpectedCountsDistinctIdsNeverInput) {
  HistoryText h;
  h.Input(10, 1, "a").Output(20, 1, "a", 1);
  h.Output(21, 99, "zz", 5).Output(22, 99, "zz", 5).Output(23, 98, "zz", 1);
  h.Output(24, 97, "zz", 1, /*committed=*/false);  // uncommitted: a visibility matter
  h.FinalRead(30);
  CheckResult r = CheckCount(h);
  EXPECT_EQ(r.Figure("delivery.unexpected"), 2);
  EXPECT_EQ(r.Figure("delivery.duplicated"), 0);
  const Anomaly* unexpected = r.Find("delivery")->Find("unexpected");
  ASSERT_EQ(unexpected->examples.size(), 2u);
  EXPECT_EQ(unexpected->examples[0]["id"], 99);
  EXPECT_EQ(unexpected->examples[0]["key"], "zz");
  EXPECT_EQ(unexpected->examples[1]["id"], 98);
  EXPECT_TRUE(r.Find("state")->clean());  // outputs of unknown ids are not state
  EXPECT_EQ(r.Figure("visibility.aborted-reads"), 1);
}

TEST(Delivery, KeepsTwentyExamplesButCountsAll) {
  HistoryText h;
  for (uint64_t id = 1; id <= 50; ++id) h.Input(static_cast<int64_t>(id), id, "a");
  h.FinalRead(100);
  CheckResult r = CheckCount(h);
  EXPECT_EQ(r.Figure("delivery.lost"), 50);
  EXPECT_EQ(r.Find("delivery")->Find("lost")->examples.size(), kMaxExamples);
}

TEST(Delivery, RepeatedInputLinesCountOnce) {
  HistoryText h;
  h.Input(10, 1, "a").Input(11, 1, "a").Output(20, 1, "a", 1).FinalRead(30);
  CheckResult r = CheckCount(h);
  EXPECT_TRUE(r.Find("delivery")->clean());
  EXPECT_TRUE(r.Find("state")->clean());
}

TEST(Visibility, AbortedReadIsAPairSeenUncommittedThatNeverCommitted) {
  HistoryText h;
  h.Input(10, 1, "a").Input(11, 2, "a").Input(12, 3, "a");
  h.Output(20, 1, "a", 1, false).Output(30, 1, "a", 1);  // committed later: fine
  h.Output(21, 2, "a", 7, false).Output(22, 2, "a", 7, false).Output(31, 2, "a", 2);
  h.Output(23, 3, "a", 3, false);  // never committed at all: aborted read and lost
  h.FinalRead(40);
  CheckResult r = CheckCount(h);
  EXPECT_EQ(r.Figure("visibility.aborted-reads"), 2);
  EXPECT_EQ(r.Figure("delivery.lost"), 1);
  const Anomaly* aborted = r.Find("visibility")->Find("aborted-reads");
  EXPECT_EQ(aborted->examples[0]["id"], 2);
  EXPECT_EQ(aborted->examples[0]["count"], 7);
  EXPECT_EQ(aborted->examples[0]["t"], 21);
  EXPECT_EQ(aborted->examples[1]["id"], 3);
}

}  // namespace
}  // namespace faultline::checkers
