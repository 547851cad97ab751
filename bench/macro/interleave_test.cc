#include "bench/macro/interleave.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace faultline::bench {
namespace {

TEST(Interleave, RunsRoundsOfEveryVariantInTurn) {
  std::vector<std::pair<int, size_t>> order;
  auto values = Interleave(3, 2, [&](int round, size_t variant) -> Result<double> {
    order.emplace_back(round, variant);
    return round * 10.0 + static_cast<double>(variant);
  });
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  const std::vector<std::pair<int, size_t>> want = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}};
  EXPECT_EQ(order, want);
  EXPECT_EQ((*values)[0], (std::vector<double>{0, 10, 20}));
  EXPECT_EQ((*values)[1], (std::vector<double>{1, 11, 21}));
}

TEST(Interleave, StopsAtTheFirstError) {
  int calls = 0;
  auto values = Interleave(3, 3, [&](int round, size_t variant) -> Result<double> {
    ++calls;
    if (round == 1 && variant == 1) return Status::IoError("disk", 5);
    return 1.0;
  });
  EXPECT_FALSE(values.ok());
  EXPECT_EQ(calls, 5);
}

TEST(RatioJson, TakesTheRatioInsideEachRound) {
  // The machine halves its speed in round 2; the ratio inside each round stays near 0.5.
  nlohmann::json r = RatioJson({50, 26, 51}, {100, 50, 100});
  EXPECT_DOUBLE_EQ(r["median"].get<double>(), 0.51);
  EXPECT_DOUBLE_EQ(r["min"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["max"].get<double>(), 0.52);
  EXPECT_EQ(r["per_round"].size(), 3u);
  EXPECT_FALSE(r["spread_wider_than_gap"].get<bool>()) << r.dump();
}

TEST(RatioJson, FlagsASpreadWiderThanTheGap) {
  // 0.95 to 1.10: the median says "slower by 2%", the rounds disagree on which is faster.
  nlohmann::json r = RatioJson({95, 98, 110}, {100, 100, 100});
  EXPECT_DOUBLE_EQ(r["median"].get<double>(), 0.98);
  EXPECT_TRUE(r["spread_wider_than_gap"].get<bool>()) << r.dump();
}

TEST(SpreadJson, MedianMinMax) {
  nlohmann::json s = SpreadJson({3, 1, 2, 10});
  EXPECT_DOUBLE_EQ(s["median"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s["min"].get<double>(), 1);
  EXPECT_DOUBLE_EQ(s["max"].get<double>(), 10);
}

}  // namespace
}  // namespace faultline::bench
