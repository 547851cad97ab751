#include "checkers/availability.h"

#include <gtest/gtest.h>

#include "checkers/testing.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

nlohmann::json Availability(const HistoryText& h) {
  CheckResult r = h.Check({Mode::kAtLeastOnce});
  const CheckerResult* a = r.Find("availability");
  EXPECT_TRUE(a->valid);
  EXPECT_TRUE(a->clean());
  return a->details;
}

TEST(Availability, LatencyQuantilesOverallAndPerSecond) {
  HistoryText h;
  // 100 inputs in second 0 with latencies 1..100 ms; 10 in second 2 with 500 ms.
  for (int64_t i = 1; i <= 100; ++i) {
    h.Input(i * kMs, static_cast<uint64_t>(i), "a")
        .Output(i * kMs + i * kMs, static_cast<uint64_t>(i), "a", i);
  }
  for (int64_t i = 101; i <= 110; ++i) {
    h.Input(2 * kSec + i, static_cast<uint64_t>(i), "a")
        .Output(2 * kSec + i + 500 * kMs, static_cast<uint64_t>(i), "a", i);
  }
  h.Input(2 * kSec + 200, 999, "b");  // never delivered: no latency
  h.FinalRead(3 * kSec);
  nlohmann::json a = Availability(h);
  EXPECT_EQ(a["latency"]["count"], 110);
  EXPECT_EQ(a["latency"]["p50_ns"], 55 * kMs);
  EXPECT_EQ(a["latency"]["p99_ns"], 500 * kMs);
  EXPECT_EQ(a["latency"]["max_ns"], 500 * kMs);
  EXPECT_EQ(a["bucket_ns"], kSec);
  ASSERT_EQ(a["per_second"].size(), 3u);
  const nlohmann::json& s0 = a["per_second"][0];
  EXPECT_EQ(s0["t"], 0);
  EXPECT_EQ(s0["inputs"], 100);
  EXPECT_EQ(s0["outputs"], 100);
  EXPECT_EQ(s0["p50_ns"], 50 * kMs);
  EXPECT_EQ(s0["p99_ns"], 99 * kMs);
  EXPECT_EQ(s0["max_ns"], 100 * kMs);
  EXPECT_EQ(a["per_second"][1]["inputs"], 0);
  EXPECT_TRUE(a["per_second"][1]["p50_ns"].is_null());
  EXPECT_EQ(a["per_second"][2]["inputs"], 11);
  EXPECT_EQ(a["per_second"][2]["p50_ns"], 500 * kMs);
}

TEST(Availability, LongestStallIsTheLongestGapInOutputWhileInputFlowed) {
  HistoryText h;
  h.Input(0, 1, "a").Output(10, 1, "a", 1);
  h.Input(20, 2, "a").Output(30, 2, "a", 2);
  // Output stops from 30 to 1000 while inputs 3, 4 arrive.
  h.Input(40, 3, "a").Input(500, 4, "a").Output(1000, 3, "a", 3).Output(1001, 4, "a", 4);
  // A longer quiet spell with no input is no stall.
  h.Output(5000, 4, "a", 4);
  h.FinalRead(6000);
  nlohmann::json a = Availability(h);
  EXPECT_EQ(a["longest_stall"]["start"], 30);
  EXPECT_EQ(a["longest_stall"]["end"], 1000);
  EXPECT_EQ(a["longest_stall"]["duration_ns"], 970);
}

TEST(Availability, RecoveryIsTheFirstDeliveryOfInputWrittenAfterTheFault) {
  HistoryText h;
  h.Input(0, 1, "a").Output(5, 1, "a", 1);
  h.Fault(10, "kill", "worker-1", "begin");
  h.Input(11, 2, "a").Output(400, 2, "a", 2);  // written after the kill, out at 400
  h.Fault(300, "kill", "worker-1", "end");
  h.Input(350, 3, "a").Output(401, 3, "a", 3);
  h.Fault(500, "pause", "worker-2", "begin");  // never healed, nothing after it
  h.FinalRead(600);
  nlohmann::json a = Availability(h);
  ASSERT_EQ(a["faults"].size(), 2u);
  const nlohmann::json& kill = a["faults"][0];
  EXPECT_EQ(kill["fault"], "kill");
  EXPECT_EQ(kill["target"], "worker-1");
  EXPECT_EQ(kill["begin"], 10);
  EXPECT_EQ(kill["end"], 300);
  EXPECT_EQ(kill["recovery_ns"], 400 - 10);
  EXPECT_EQ(kill["heal_to_output_ns"], 401 - 300);
  EXPECT_TRUE(a["faults"][1]["end"].is_null());
  EXPECT_TRUE(a["faults"][1]["recovery_ns"].is_null());
  EXPECT_TRUE(a["faults"][1]["heal_to_output_ns"].is_null());
}

TEST(Availability, EmptyHistoryHasNullFigures) {
  HistoryText h;
  h.FinalRead(10);
  nlohmann::json a = Availability(h);
  EXPECT_EQ(a["latency"]["count"], 0);
  EXPECT_TRUE(a["latency"]["p50_ns"].is_null());
  EXPECT_TRUE(a["longest_stall"].is_null());
}

TEST(Availability, LongRunsGetWiderBuckets) {
  HistoryText h;
  h.Input(0, 1, "a").Output(kSec, 1, "a", 1);
  h.Input(100'000 * kSec, 2, "a").Output(100'000 * kSec + 5, 2, "a", 2).FinalRead(100'001 * kSec);
  nlohmann::json a = Availability(h);
  EXPECT_GT(a["bucket_ns"].get<int64_t>(), kSec);
  EXPECT_LE(a["per_second"].size(), 10'000u);
}

}  // namespace
}  // namespace faultline::checkers
