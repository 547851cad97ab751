#include "checkers/windows.h"

#include <gtest/gtest.h>

#include "checkers/testing.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

// Key a: event times 100, 150 (window [0,1000)) and 1200 (window [1000,2000)); key b: 500.
HistoryText WindowInputs(std::string_view meta_extra = ",\"window_size\":1000") {
  HistoryText h;
  h.Meta("exactly-once", "window-count", meta_extra);
  h.Input(10, 1, "a", 0, 0, 100).Input(20, 2, "a", 0, 1, 150).Input(30, 3, "b", 1, 0, 500);
  h.Input(40, 4, "a", 0, 2, 1200);
  return h;
}

TEST(Windows, CleanResultsMatchTheBatchCount) {
  HistoryText h = WindowInputs();
  h.Window(50, "a", 0, 1000, 2).Window(50, "b", 0, 1000, 1).Window(60, "a", 1000, 2000, 1);
  h.FinalRead(100);
  CheckResult r = h.Check();
  EXPECT_EQ(r.job, JobKind::kWindowCount);
  EXPECT_TRUE(r.Find("windows")->clean());
  EXPECT_TRUE(r.Find("delivery")->clean());
  EXPECT_FALSE(r.Find("state")->applicable);
  EXPECT_FALSE(r.Find("order")->applicable);
  EXPECT_EQ(r.Find("windows")->details["window_size"], 1000);
  EXPECT_EQ(r.Find("windows")->details["windows"], 3);
  EXPECT_EQ(r.verdict, Verdict::kValid);
  // Delivery latency of a record runs to its window's first committed result.
  EXPECT_EQ(r.Find("availability")->details["latency"]["max_ns"], 50 - 10);
}

// A window input with a send outcome: partition 0, offset = id.
HistoryText& WindowSend(HistoryText& h, int64_t t, uint64_t id, std::string_view key,
                        int64_t event_time, std::string_view status) {
  return h.Line("{\"t\":" + std::to_string(t) + ",\"type\":\"input\",\"id\":" + std::to_string(id) +
                ",\"key\":\"" + std::string(key) + "\",\"event_time\":" +
                std::to_string(event_time) + ",\"status\":\"" + std::string(status) + "\"}");
}

TEST(Windows, SendOutcomesMakeTheBatchCountARange) {
  auto history = [](int64_t count_a, int64_t count_c) {
    HistoryText h;
    h.Meta("exactly-once", "window-count", ",\"window_size\":1000");
    WindowSend(h, 10, 1, "a", 100, "ok");
    WindowSend(h, 11, 2, "a", 110, "unknown");
    WindowSend(h, 12, 3, "a", 120, "fail");
    WindowSend(h, 13, 4, "b", 130, "unknown");  // may be missing: no result needed
    WindowSend(h, 14, 5, "c", 140, "fail");     // only a failed send
    h.Window(50, "a", 0, 1000, count_a);
    if (count_c > 0) h.Window(50, "c", 0, 1000, count_c);
    return h.FinalRead(100);
  };
  auto check = [&](int64_t count_a, int64_t count_c) { return history(count_a, count_c).Check(); };
  for (int64_t count : {1, 2}) {  // the ok send, with or without the unknown one
    CheckResult r = check(count, 0);
    EXPECT_TRUE(r.Find("windows")->clean()) << count;
    EXPECT_TRUE(r.Find("delivery")->clean()) << count;
    EXPECT_EQ(r.verdict, Verdict::kValid) << count;
    EXPECT_EQ(r.Figure("delivery.failed"), 2);
    EXPECT_EQ(r.Figure("delivery.unknown_missing"), 1);  // b's
    EXPECT_EQ(r.Figure("delivery.unknown_delivered"), 1);
  }
  CheckResult over = check(3, 0);  // the failed send counted too
  EXPECT_EQ(over.Figure("windows.overcounted"), 1);
  EXPECT_EQ(over.Find("windows")->Find("mismatched")->examples[0]["expected_max"], 2);
  EXPECT_EQ(over.verdict, Verdict::kInvalid);
  CheckResult applied = check(1, 1);  // a result for c, whose only send failed
  EXPECT_EQ(applied.Figure("delivery.delivered-after-fail"), 1);
  EXPECT_EQ(applied.Figure("delivery.unexpected"), 0);
  EXPECT_EQ(applied.Figure("windows.overcounted"), 1);
  EXPECT_EQ(history(1, 1).Check({Mode::kAtLeastOnce}).verdict, Verdict::kInvalid);
}

TEST(Windows, SizeAndAlignmentComeFromTheResultsWithoutMeta) {
  HistoryText h = WindowInputs("");
  h.Window(50, "a", 0, 1000, 2).Window(50, "b", 0, 1000, 1).Window(60, "a", 1000, 2000, 1);
  h.FinalRead(100);
  EXPECT_TRUE(h.Check().Find("windows")->clean());
  HistoryText shifted;  // windows [-500, 500), [500, 1500)
  shifted.Meta("exactly-once", "window-count");
  shifted.Input(10, 1, "a", 0, 0, 100).Input(20, 2, "a", 0, 1, 700).Input(30, 3, "a", 0, 2, -20);
  shifted.Window(50, "a", -500, 500, 2).Window(50, "a", 500, 1500, 1).FinalRead(100);
  EXPECT_TRUE(shifted.Check().Find("windows")->clean());
}

TEST(Windows, MismatchedCountsDifferingMissingAndExtraWindows) {
  HistoryText h = WindowInputs();
  h.Window(50, "a", 0, 1000, 3);     // differs: 3 instead of 2 (over)
  h.Window(55, "a", 0, 1000, 2);     // the right value too: counts once
  h.Window(56, "a", 0, 1000, 3);     // the same wrong value again: not again
  h.Window(60, "a", 1000, 2000, 0);  // differs: under
  h.Window(70, "c", 0, 1000, 4);     // extra: no input in that window
  h.FinalRead(100);                  // b's window is missing
  CheckResult r = h.Check();
  const CheckerResult& w = *r.Find("windows");
  EXPECT_EQ(r.Figure("windows.mismatched"), 4);
  EXPECT_EQ(w.details["differing"], 2);
  EXPECT_EQ(w.details["overcounted"], 1);
  EXPECT_EQ(w.details["undercounted"], 1);
  EXPECT_EQ(w.details["missing"], 1);
  EXPECT_EQ(w.details["extra"], 1);
  EXPECT_EQ(r.Figure("windows.missing"), 1);
  const Anomaly* m = w.Find("mismatched");
  ASSERT_EQ(m->examples.size(), 4u);
  EXPECT_EQ(m->examples[0]["problem"], "differs");
  EXPECT_EQ(m->examples[0]["key"], "a");
  EXPECT_EQ(m->examples[0]["expected"], 2);
  EXPECT_EQ(m->examples[0]["count"], 3);
  EXPECT_EQ(m->examples[0]["input"]["t"], 10);
  // Delivery judged through windows: b's window lost, a's first window delivered 3 times,
  // c's window unexpected.
  EXPECT_EQ(r.Figure("delivery.lost"), 1);
  EXPECT_EQ(r.Figure("delivery.duplicated"), 2);
  EXPECT_EQ(r.Figure("delivery.unexpected"), 1);
  EXPECT_EQ(r.Find("delivery")->Find("unexpected")->examples[0]["key"], "c");
}

TEST(Windows, AbortedReadsOfWindowResults) {
  HistoryText h = WindowInputs();
  h.Window(45, "a", 0, 1000, 2, false).Window(50, "a", 0, 1000, 2);  // committed later
  h.Window(46, "b", 0, 1000, 9, false).Window(50, "b", 0, 1000, 1);  // 9 never committed
  h.Window(47, "z", 0, 1000, 1, false);                              // a window that never existed
  h.Window(60, "a", 1000, 2000, 1).FinalRead(100);
  CheckResult r = h.Check();
  EXPECT_EQ(r.Figure("visibility.aborted-reads"), 2);
  EXPECT_TRUE(r.Find("windows")->clean());
  EXPECT_TRUE(r.Find("delivery")->clean());
}

TEST(Windows, UnknownSizeMakesOneMissingWindowPerKey) {
  HistoryText h;
  h.Meta("exactly-once", "window-count");
  h.Input(10, 1, "a", 0, 0, 100).Input(20, 2, "a", 0, 1, 5000).Input(30, 3, "b", 0, 2, 1);
  h.FinalRead(100);
  CheckResult r = h.Check();
  EXPECT_EQ(r.Figure("delivery.lost"), 2);
  EXPECT_EQ(r.Figure("windows.mismatched"), 2);
  EXPECT_TRUE(r.Find("windows")->details["window_size"].is_null());
}

TEST(Windows, TheJobIsInferredWhenTheMetaLineDoesNotSayIt) {
  HistoryText h;
  h.Input(10, 1, "a", 0, 0, 100).Window(50, "a", 0, 1000, 1).FinalRead(100);
  EXPECT_EQ(h.Check({Mode::kExactlyOnce}).job, JobKind::kWindowCount);
}

}  // namespace
}  // namespace faultline::checkers
