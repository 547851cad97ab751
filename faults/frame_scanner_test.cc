#include "faults/frame_scanner.h"

#include <gtest/gtest.h>

#include "base/coding.h"
#include "base/record_log.h"
#include "runtime/wire.h"

namespace faultline::faults {
namespace {

std::string Frame(runtime::FrameType type, std::string_view body) {
  std::string payload(1, static_cast<char>(type));
  payload += body;
  std::string out;
  AppendLogFrame(&out, payload);
  return out;
}

std::string Barrier(uint64_t id) {
  std::string body;
  PutVarint64(&body, id);
  return Frame(runtime::FrameType::kBarrier, body);
}

std::string Concat(const std::vector<FrameScanner::Piece>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p.bytes;
  return out;
}

TEST(BarrierRuleTest, EveryKAndFromId) {
  EXPECT_TRUE(BarrierRule{}.Matches(0));
  EXPECT_TRUE(BarrierRule{}.Matches(7));
  BarrierRule every3{.every_k = 3};
  EXPECT_TRUE(every3.Matches(3));
  EXPECT_TRUE(every3.Matches(6));
  EXPECT_FALSE(every3.Matches(4));
  BarrierRule from5{.from_id = 5};
  EXPECT_FALSE(from5.Matches(4));
  EXPECT_TRUE(from5.Matches(5));
  BarrierRule both{.every_k = 2, .from_id = 5};
  EXPECT_FALSE(both.Matches(4));
  EXPECT_FALSE(both.Matches(5));
  EXPECT_TRUE(both.Matches(6));
}

TEST(FrameScannerTest, StagesABarrierSplitAcrossFeedsUntilItIsComplete) {
  BarrierRule rule;
  FrameScanner::Policy policy{.hold = &rule};
  FrameScanner scanner;
  std::string rec = Frame(runtime::FrameType::kRecords, "abc");
  std::string bar = Barrier(300);  // two-byte varint
  std::vector<FrameScanner::Piece> pieces;
  scanner.Feed(rec + bar.substr(0, 3), &policy, &pieces);
  ASSERT_EQ(Concat(pieces), rec);  // the record goes out, the barrier's start is staged
  EXPECT_EQ(scanner.staged_bytes(), 3u);
  pieces.clear();
  scanner.Feed(bar.substr(3, 6), &policy, &pieces);
  EXPECT_TRUE(pieces.empty());
  scanner.Feed(bar.substr(9), &policy, &pieces);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_TRUE(pieces[0].held_barrier);
  EXPECT_EQ(pieces[0].barrier_id, 300u);
  EXPECT_EQ(pieces[0].bytes, bar);
  EXPECT_EQ(scanner.staged_bytes(), 0u);
}

TEST(FrameScannerTest, NonMatchingBarrierAndOtherFramesAreNotHeld) {
  BarrierRule rule{.every_k = 2};
  FrameScanner::Policy policy{.hold = &rule};
  FrameScanner scanner;
  std::string in = Barrier(1) + Frame(runtime::FrameType::kOutputs, "x") + Barrier(2);
  std::vector<FrameScanner::Piece> pieces;
  scanner.Feed(in, &policy, &pieces);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_FALSE(pieces[0].held_barrier);
  EXPECT_TRUE(pieces[1].held_barrier);
  EXPECT_EQ(pieces[1].barrier_id, 2u);
  EXPECT_EQ(Concat(pieces), in);
}

TEST(FrameScannerTest, LiftingTheHoldReleasesStagedBytes) {
  BarrierRule rule;
  FrameScanner::Policy with_hold{.hold = &rule};
  FrameScanner scanner;
  std::string bar = Barrier(9);
  std::vector<FrameScanner::Piece> pieces;
  scanner.Feed(bar.substr(0, 5), &with_hold, &pieces);
  EXPECT_TRUE(pieces.empty());
  FrameScanner::Policy no_hold;
  scanner.Feed(bar.substr(5), &no_hold, &pieces);
  EXPECT_EQ(Concat(pieces), bar);
  EXPECT_FALSE(pieces[0].held_barrier);

  FrameScanner other;
  pieces.clear();
  other.Feed(bar.substr(0, 5), &with_hold, &pieces);
  other.Flush(&pieces);
  EXPECT_EQ(Concat(pieces), bar.substr(0, 5));
}

TEST(FrameScannerTest, NonFrameStreamPassesThroughUntouched) {
  BarrierRule rule;
  FrameScanner::Policy policy{.hold = &rule, .corrupt_budget = 5};
  FrameScanner scanner;
  std::string text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<FrameScanner::Piece> pieces;
  scanner.Feed(text, &policy, &pieces);
  EXPECT_FALSE(scanner.synced());
  EXPECT_EQ(Concat(pieces), text);
  EXPECT_EQ(policy.corrupt_budget, 5);
}

TEST(FrameScannerTest, CorruptionSkipsTheHelloAndCountsDown) {
  FrameScanner::Policy policy{.corrupt_budget = 1};
  FrameScanner scanner;
  std::string hello = Frame(runtime::FrameType::kHello, R"({"kind":"data"})");
  std::string rec = Frame(runtime::FrameType::kRecords, "payload");
  std::vector<FrameScanner::Piece> pieces;
  scanner.Feed(hello + rec + rec, &policy, &pieces);
  std::string out = Concat(pieces);
  EXPECT_EQ(DecodeLogFrame(out).status, FrameStatus::kOk);
  EXPECT_EQ(DecodeLogFrame(std::string_view(out).substr(hello.size())).status,
            FrameStatus::kCorrupt);
  EXPECT_EQ(DecodeLogFrame(std::string_view(out).substr(hello.size() + rec.size())).status,
            FrameStatus::kOk);
  EXPECT_EQ(policy.corrupt_budget, 0);
  EXPECT_EQ(policy.corrupted, 1);
}

}  // namespace
}  // namespace faultline::faults
