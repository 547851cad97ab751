// The scanner's contract over random frame streams fed in random splits: bytes come out in order
// and none are lost; exactly the first k non-hello frames fail their CRC (each differing from
// the original in one payload byte) and every other frame decodes intact; a held piece starts
// exactly at each barrier frame whose id matches the rule, and nowhere else.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "base/coding.h"
#include "base/record_log.h"
#include "faults/frame_scanner.h"
#include "runtime/wire.h"

namespace faultline::faults {
namespace {

using runtime::FrameType;

struct Stream {
  std::string bytes;
  std::vector<size_t> starts;  // frame start offsets
  std::vector<std::string> payloads;
  std::vector<uint8_t> types;
  std::vector<uint64_t> barrier_ids;  // per frame; only meaningful for barriers
};

Stream BuildStream() {
  Stream s;
  size_t n = *rc::gen::inRange<size_t>(0, 40);
  for (size_t i = 0; i < n; ++i) {
    auto type = *rc::gen::element(FrameType::kHello, FrameType::kRecords, FrameType::kOutputs,
                                  FrameType::kBarrier, FrameType::kBarrier, FrameType::kCredit);
    std::string payload(1, static_cast<char>(type));
    uint64_t id = 0;
    if (type == FrameType::kBarrier) {
      id = *rc::gen::inRange<uint64_t>(0, 30);
      PutVarint64(&payload, id);
    } else {
      size_t size = *rc::gen::inRange<size_t>(0, 3000);
      payload += *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>());
    }
    s.starts.push_back(s.bytes.size());
    s.payloads.push_back(payload);
    s.types.push_back(static_cast<uint8_t>(type));
    s.barrier_ids.push_back(id);
    AppendLogFrame(&s.bytes, payload);
  }
  return s;
}

RC_GTEST_PROP(FrameScannerProperty, PreservesBytesCorruptsExactlyKAndHoldsMatchingBarriers, ()) {
  Stream s = BuildStream();
  BarrierRule rule{.every_k = *rc::gen::inRange<int64_t>(0, 4),
                   .from_id = *rc::gen::inRange<int64_t>(0, 12)};
  bool hold = *rc::gen::arbitrary<bool>();
  int budget = *rc::gen::inRange(0, 10);
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  FrameScanner::Policy policy{.hold = hold ? &rule : nullptr,
                              .corrupt_budget = budget,
                              .rng = *rc::gen::arbitrary<bool>() ? &rng : nullptr};

  FrameScanner scanner;
  std::vector<FrameScanner::Piece> pieces;
  size_t pos = 0;
  while (pos < s.bytes.size()) {
    size_t k = *rc::gen::inRange<size_t>(1, 200);
    k = std::min(k, s.bytes.size() - pos);
    scanner.Feed(std::string_view(s.bytes).substr(pos, k), &policy, &pieces);
    pos += k;
  }
  RC_ASSERT(scanner.staged_bytes() == 0u);  // the stream ended on a frame boundary
  scanner.Flush(&pieces);

  std::string out;
  std::set<size_t> held_at;
  for (const auto& p : pieces) {
    RC_ASSERT(!p.bytes.empty());
    if (p.held_barrier) held_at.insert(out.size());
    out += p.bytes;
  }
  RC_ASSERT(out.size() == s.bytes.size());
  RC_ASSERT(scanner.synced());

  int to_corrupt = budget;
  std::set<size_t> want_held;
  for (size_t i = 0; i < s.starts.size(); ++i) {
    std::string_view frame = std::string_view(out).substr(s.starts[i]);
    DecodedFrame d = DecodeLogFrame(frame);
    bool hello = s.types[i] == static_cast<uint8_t>(FrameType::kHello);
    if (!hello && to_corrupt > 0) {
      --to_corrupt;
      RC_ASSERT(d.status == FrameStatus::kCorrupt);
      std::string_view got = frame.substr(kLogHeaderSize, s.payloads[i].size());
      int differing = 0;
      for (size_t j = 0; j < got.size(); ++j) differing += got[j] != s.payloads[i][j];
      RC_ASSERT(differing == 1);
      // The header is untouched, so the next frame still starts where it should.
      RC_ASSERT(frame.substr(0, kLogHeaderSize) ==
                std::string_view(s.bytes).substr(s.starts[i], kLogHeaderSize));
    } else {
      RC_ASSERT(d.status == FrameStatus::kOk);
      RC_ASSERT(d.payload == s.payloads[i]);
    }
    bool barrier = s.types[i] == static_cast<uint8_t>(FrameType::kBarrier);
    if (hold && barrier && rule.Matches(s.barrier_ids[i])) want_held.insert(s.starts[i]);
  }
  RC_ASSERT(policy.corrupt_budget == to_corrupt);
  RC_ASSERT(policy.corrupted == budget - to_corrupt);
  RC_ASSERT(held_at == want_held);
  RC_ASSERT(scanner.frames_seen() == static_cast<int64_t>(s.starts.size()));
}

}  // namespace
}  // namespace faultline::faults
