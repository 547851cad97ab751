#include "checkers/state.h"

#include <gtest/gtest.h>

#include "checkers/testing.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

// Inputs 1..n of key `key` in partition 0 (offset = id), at t = id.
HistoryText& Inputs(HistoryText& h, uint64_t first, uint64_t last, std::string_view key = "a") {
  for (uint64_t id = first; id <= last; ++id) h.Input(static_cast<int64_t>(id), id, key);
  return h;
}

CheckResult CheckEo(const HistoryText& h) { return h.Check({Mode::kExactlyOnce}); }

TEST(State, CleanCountsAreOneToN) {
  HistoryText h;
  Inputs(h, 1, 4);
  for (uint64_t id = 1; id <= 4; ++id)
    h.Output(100 + static_cast<int64_t>(id), id, "a", static_cast<int64_t>(id));
  h.FinalRead(200);
  CheckResult r = CheckEo(h);
  EXPECT_TRUE(r.Find("state")->clean());
  EXPECT_TRUE(r.Find("order")->clean());
  EXPECT_EQ(r.verdict, Verdict::kValid);
}

TEST(State, CountRepeatIsOneValueCarriedByTwoIds) {
  // State rolled back after 3 (at-most-once): records 4, 5 lost, 6 and 7 recount 2 and 3.
  HistoryText h;
  Inputs(h, 1, 7);
  h.Output(101, 1, "a", 1).Output(102, 2, "a", 2).Output(103, 3, "a", 3);
  h.Output(106, 6, "a", 2).Output(107, 7, "a", 3);
  h.FinalRead(200);
  CheckResult r = CheckEo(h);
  EXPECT_EQ(r.Figure("state.count-repeat"), 2);
  EXPECT_EQ(r.Figure("state.count-regression"), 1);  // 2 after 3 was visible (3 again is not lower)
  EXPECT_EQ(r.Figure("state.count-gap"), 0);
  EXPECT_EQ(r.Figure("state.overcount"), 0);
  EXPECT_EQ(r.Figure("delivery.lost"), 2);
  EXPECT_EQ(r.Figure("order.violations"), 1);  // 3 (id 3) before 2 (id 6) in offset order
  const Anomaly* repeat = r.Find("state")->Find("count-repeat");
  EXPECT_EQ(repeat->examples[0]["count"], 2);
  EXPECT_EQ(repeat->examples[0]["id"], 6);  // the second carrier
  EXPECT_EQ(repeat->examples[0]["ids"], nlohmann::json({2, 6}));
  const Anomaly* regression = r.Find("state")->Find("count-regression");
  EXPECT_EQ(regression->examples[0]["id"], 6);
  EXPECT_EQ(regression->examples[0]["highest_visible"], 3);
  EXPECT_EQ(regression->examples[0]["highest_visible_id"], 3);
}

TEST(State, CountGapCountsEachMissingValue) {
  HistoryText h;
  Inputs(h, 1, 6);
  h.Output(101, 1, "a", 1).Output(104, 4, "a", 4).Output(106, 6, "a", 6);
  h.FinalRead(200);
  CheckResult r = CheckEo(h);
  EXPECT_EQ(r.Figure("state.count-gap"), 3);  // 2, 3 and 5
  const Anomaly* gap = r.Find("state")->Find("count-gap");
  ASSERT_EQ(gap->examples.size(), 2u);
  EXPECT_EQ(gap->examples[0]["missing_from"], 2);
  EXPECT_EQ(gap->examples[0]["missing_to"], 3);
  EXPECT_EQ(gap->examples[0]["below_id"], 1);
  EXPECT_EQ(gap->examples[0]["id"], 4);
  EXPECT_EQ(r.Figure("delivery.lost"), 3);
}

TEST(State, OvercountIsAKeyAboveItsDistinctInputs) {
  // A record applied twice: id 2 counted 2 and, replayed, 3; id 3 then counts 4.
  HistoryText h;
  Inputs(h, 1, 3);
  Inputs(h, 10, 11, "b");
  h.Output(101, 1, "a", 1).Output(102, 2, "a", 2).Output(103, 2, "a", 3).Output(104, 3, "a", 4);
  h.Output(110, 10, "b", 1).Output(111, 11, "b", 2);
  h.FinalRead(200);
  CheckResult r = CheckEo(h);
  EXPECT_EQ(r.Figure("state.overcount"), 1);
  EXPECT_EQ(r.Figure("state.count-repeat"), 0);
  EXPECT_EQ(r.Figure("state.count-gap"), 0);
  EXPECT_EQ(r.Figure("delivery.duplicated"), 1);
  const Anomaly* over = r.Find("state")->Find("overcount");
  EXPECT_EQ(over->examples[0]["key"], "a");
  EXPECT_EQ(over->examples[0]["count"], 4);
  EXPECT_EQ(over->examples[0]["distinct_inputs"], 3);
}

TEST(State, RegressionFollowsObservationTimeNotLineOrder) {
  HistoryText h;
  Inputs(h, 1, 3);
  // Lines out of time order: observed 1, 2, 3 (by t), so no regression.
  h.Output(103, 3, "a", 3).Output(101, 1, "a", 1).Output(102, 2, "a", 2);
  h.FinalRead(200);
  EXPECT_TRUE(CheckEo(h).Find("state")->clean());
  HistoryText late;
  Inputs(late, 1, 3);
  late.Output(101, 1, "a", 1).Output(103, 3, "a", 3).Output(104, 2, "a", 2).FinalRead(200);
  EXPECT_EQ(CheckEo(late).Figure("state.count-regression"), 1);
}

TEST(Order, InvertedNeighboursPerPartitionAndKey) {
  HistoryText h;
  // Partition 0: offsets 0..3 of key a with counts 1, 3, 2, 4: one inverted pair.
  h.Input(1, 1, "a", 0, 0).Input(2, 2, "a", 0, 1).Input(3, 3, "a", 0, 2).Input(4, 4, "a", 0, 3);
  // Partition 1, same key: counted in between; compared only within its partition.
  h.Input(5, 5, "a", 1, 0).Input(6, 6, "a", 1, 1);
  h.Output(11, 1, "a", 1).Output(12, 3, "a", 2).Output(13, 2, "a", 3).Output(14, 4, "a", 4);
  h.Output(15, 6, "a", 5).Output(16, 5, "a", 6);  // partition 1 inverted too
  h.FinalRead(100);
  CheckResult r = CheckEo(h);
  EXPECT_EQ(r.Figure("order.violations"), 2);
  EXPECT_TRUE(r.Find("state")->clean());
  const Anomaly* v = r.Find("order")->Find("violations");
  EXPECT_EQ(v->examples[0]["partition"], 0);
  EXPECT_EQ(v->examples[0]["earlier"], nlohmann::json({{"id", 2}, {"offset", 1}, {"count", 3}}));
  EXPECT_EQ(v->examples[0]["later"], nlohmann::json({{"id", 3}, {"offset", 2}, {"count", 2}}));
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
}

TEST(Order, SkipsUndeliveredInputsAndUsesTheFirstObservedCount) {
  HistoryText h;
  h.Input(1, 1, "a", 0, 0).Input(2, 2, "a", 0, 1).Input(3, 3, "a", 0, 2);
  h.Output(11, 1, "a", 1).Output(13, 3, "a", 2);  // id 2 lost: 1 and 3 are neighbours
  h.Output(14, 1, "a", 3);                        // a later copy does not count for order
  h.FinalRead(100);
  CheckResult r = CheckEo(h);
  EXPECT_EQ(r.Figure("order.violations"), 0);
  EXPECT_EQ(r.Figure("delivery.lost"), 1);
}

TEST(Order, ManyPartitionsUseTheSortingPath) {
  HistoryText h;
  // Partition numbers far apart, so the groups are numbered by rank.
  h.Input(1, 1, "a", 7, 5).Input(2, 2, "a", 900000, 0).Input(3, 3, "a", 7, 6);
  h.Output(11, 1, "a", 2).Output(12, 2, "a", 1).Output(13, 3, "a", 3);
  h.FinalRead(100);
  EXPECT_EQ(CheckEo(h).Figure("order.violations"), 0);
  HistoryText inverted;
  inverted.Input(1, 1, "a", 7, 5).Input(2, 2, "a", 900000, 0).Input(3, 3, "a", 7, 6);
  inverted.Output(11, 1, "a", 3).Output(12, 2, "a", 1).Output(13, 3, "a", 2).FinalRead(100);
  EXPECT_EQ(CheckEo(inverted).Figure("order.violations"), 1);
}

}  // namespace
}  // namespace faultline::checkers
