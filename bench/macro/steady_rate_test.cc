#include <gtest/gtest.h>

#include "bench/macro/macro_bench.h"

namespace faultline::bench {
namespace {

using Samples = std::vector<std::pair<double, int64_t>>;

TEST(SteadyRate, ContinuousOutputGivesTheRate) {
  // 1000 records/s after a 0.5 s start-up, polled every 10 ms.
  Samples s;
  for (int i = 1; i <= 1000; ++i) s.emplace_back(0.5 + i * 0.01, i * 10);
  SteadyRate r = SteadyRateOf(s, 10'000, 10.5);
  EXPECT_NEAR(r.records_per_s, 1000, 1);
  EXPECT_NEAR(r.window_s, 8.5, 0.02);
}

TEST(SteadyRate, CommitStepsLeaveOutTheFinalPartialStep) {
  // Exactly-once: 100k records/s, a commit step each second; input runs out at 4.3 s, so the
  // final step at 5 s holds only 0.3 s of work. Counting it would give 85k/s.
  Samples s = {{1, 100'000}, {2, 200'000}, {3, 300'000}, {4, 400'000}, {5, 430'000}};
  SteadyRate r = SteadyRateOf(s, 430'000, 5);
  EXPECT_DOUBLE_EQ(r.records_per_s, 100'000);
  EXPECT_DOUBLE_EQ(r.window_s, 3);
}

TEST(SteadyRate, TooFewSamplesFallBackToTheOverallRate) {
  Samples s = {{1.5, 1000}};
  SteadyRate r = SteadyRateOf(s, 1000, 2);
  EXPECT_DOUBLE_EQ(r.records_per_s, 500);
  EXPECT_DOUBLE_EQ(r.window_s, 0);
  EXPECT_DOUBLE_EQ(SteadyRateOf({}, 0, 0).records_per_s, 0);
}

TEST(Median, OddEvenEmpty) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({}), 0);
}

}  // namespace
}  // namespace faultline::bench
