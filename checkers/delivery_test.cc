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

// Committed output taken back is an exactly-once anomaly of its own, and delivery is judged on
// what stayed: retracted and delivered again is no duplicate, retracted for good is lost.
TEST(Visibility, RetractedOutputIsAnAnomalyAndNoLongerADelivery) {
  HistoryText h;
  h.Input(10, 1, "a").Input(11, 2, "a").Input(12, 3, "a").Input(13, 4, "b");
  h.OutputFrom(20, 1, "a", 1, "committed/sink-0.log")
      .OutputFrom(21, 2, "a", 2, "committed/sink-0.log");
  h.OutputFrom(22, 3, "a", 3, "committed/sink-0.log")
      .OutputFrom(23, 4, "b", 1, "committed/sink-1.log");
  h.Retraction(30, "committed/sink-0.log", 1);          // ids 2 and 3 gone
  h.OutputFrom(31, 2, "a", 2, "committed/sink-0.log");  // 2 comes back after the cut
  h.Retraction(32, "committed/sink-9.log", 0);          // nothing was read from there: nothing lost
  h.FinalRead(40);
  CheckResult r = CheckCount(h);
  EXPECT_EQ(r.Figure("visibility.retracted"), 2);
  EXPECT_EQ(r.Figure("delivery.lost"), 1);  // id 3
  EXPECT_EQ(r.Figure("delivery.duplicated"), 0);
  const Anomaly* retracted = r.Find("visibility")->Find("retracted");
  ASSERT_EQ(retracted->examples.size(), 2u);
  EXPECT_EQ(retracted->examples[0]["id"], 2);
  EXPECT_EQ(retracted->examples[0]["t"], 21);
  EXPECT_EQ(retracted->examples[0]["retracted_t"], 30);
  EXPECT_EQ(retracted->examples[0]["redelivered"], true);
  EXPECT_EQ(retracted->examples[1]["id"], 3);
  EXPECT_EQ(retracted->examples[1]["redelivered"], false);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);

  // A second retraction counts on from where the first left the source.
  HistoryText again = h;
  again.Retraction(41, "committed/sink-0.log", 1);  // takes back the re-delivered 2
  EXPECT_EQ(again.Check({Mode::kExactlyOnce}).Figure("visibility.retracted"), 3);

  // Under at-least-once a retraction alone is allowed; the record it lost for good is not.
  CheckResult alo = h.Check({Mode::kAtLeastOnce});
  EXPECT_TRUE(alo.Find("visibility")->valid);
  EXPECT_FALSE(alo.Find("delivery")->valid);
}

TEST(Visibility, ARetractionLineNeedsASourceAndAKeptCount) {
  for (const char* bad :
       {R"({"t":1,"type":"retraction","kept":0})", R"({"t":1,"type":"retraction","source":"s"})",
        R"({"t":1,"type":"retraction","source":"s","kept":-1})",
        R"({"t":1,"type":"retraction","source":3,"kept":0})"}) {
    auto parsed = ParseHistory(std::string(bad) + "\n");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("line 1"), std::string::npos)
        << parsed.status().ToString();
  }
}

// A restore past the newest checkpoint is listed, and explains the duplicates it replays.
TEST(Delivery, ARestoreThatWentBackIsFlaggedBesideTheDuplicatesItCauses) {
  HistoryText h;
  h.Input(10, 1, "a").Output(20, 1, "a", 1);
  h.Line(R"({"t":30,"type":"runtime","node":"coordinator","event":"restore-went-back",)"
         R"("checkpoint":2,"newest":3,"rollback":false,"attempt":2})");
  h.Output(40, 1, "a", 1).FinalRead(50);
  CheckResult r = CheckCount(h);
  ASSERT_EQ(r.restores_went_back.size(), 1u);
  EXPECT_EQ(r.restores_went_back[0].checkpoint, 2);
  EXPECT_EQ(r.restores_went_back[0].newest, 3);
  EXPECT_FALSE(r.restores_went_back[0].rollback);
  EXPECT_EQ(r.Figure("delivery.duplicated"), 1);
  const nlohmann::json& e = r.Find("delivery")->Find("duplicated")->examples[0];
  ASSERT_TRUE(e.contains("restores_went_back")) << e.dump();
  EXPECT_EQ(e["restores_went_back"][0]["newest"], 3);
  EXPECT_NE(FormatSummary(r).find("restore went back"), std::string::npos) << FormatSummary(r);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::checkers
