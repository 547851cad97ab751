#include "faults/frame_scanner.h"

#include <algorithm>

#include "base/coding.h"
#include "base/record_log.h"
#include "runtime/wire.h"  // the FrameType enum only: faults/ does not link the runtime

namespace faultline::faults {
namespace {

constexpr auto kHelloType = static_cast<uint8_t>(runtime::FrameType::kHello);
constexpr auto kBarrierType = static_cast<uint8_t>(runtime::FrameType::kBarrier);
// A barrier's payload is the type byte and one varint: anything longer is not a barrier we
// understand, and is relayed without staging.
constexpr uint64_t kMaxBarrierPayload = 1 + 10;

uint32_t DecodeLength(const char* p) {
  return static_cast<uint32_t>(static_cast<uint8_t>(p[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24;
}

}  // namespace

bool BarrierRule::Matches(uint64_t id) const {
  if (every_k > 0 && id % static_cast<uint64_t>(every_k) != 0) return false;
  return from_id <= 0 || id >= static_cast<uint64_t>(from_id);
}

void FrameScanner::Emit(std::string_view bytes, std::string* pending) {
  if (staging_) {
    stage_.append(bytes);
    return;
  }
  if (!stage_.empty()) {  // the staged frame turned out not to be held: release it first
    pending->append(stage_);
    stage_.clear();
  }
  pending->append(bytes);
}

void FrameScanner::Flush(std::vector<Piece>* out) {
  staging_ = false;
  if (stage_.empty()) return;
  out->push_back(Piece{.bytes = std::move(stage_)});
  stage_.clear();
}

void FrameScanner::StartPayload(Policy* policy, uint8_t type) {
  ++frames_seen_;
  corrupt_at_ = -1;
  if (type != kHelloType && policy->corrupt_budget > 0) {
    --policy->corrupt_budget;
    ++policy->corrupted;
    if (policy->rng != nullptr) {
      corrupt_at_ = static_cast<int64_t>(policy->rng->Uniform(payload_len_));
      corrupt_mask_ = static_cast<uint8_t>(1 + policy->rng->Uniform(255));
    } else {
      corrupt_at_ = static_cast<int64_t>(payload_len_ / 2);
      corrupt_mask_ = 0xFF;
    }
  }
  if (staging_ && (type != kBarrierType || payload_len_ > kMaxBarrierPayload)) {
    staging_ = false;  // not a barrier: the staged header is released with what follows
  }
}

void FrameScanner::Feed(std::string_view data, Policy* policy, std::vector<Piece>* out) {
  std::string pending;
  if (staging_ && policy->hold == nullptr) {  // the hold was lifted mid-frame
    pending = std::move(stage_);
    stage_.clear();
    staging_ = false;
  }
  while (!data.empty()) {
    if (!synced_) {
      pending.append(data);
      break;
    }
    if (header_len_ < kLogHeaderSize) {
      if (header_len_ == 0) staging_ = policy->hold != nullptr;
      size_t k = std::min(kLogHeaderSize - header_len_, data.size());
      std::copy_n(data.data(), k, header_ + header_len_);
      Emit(data.substr(0, k), &pending);
      header_len_ += k;
      data.remove_prefix(k);
      if (header_len_ < kLogHeaderSize) break;
      payload_len_ = DecodeLength(header_);
      if (payload_len_ > kMaxLogRecordSize) {  // not a frame stream: pass through from now on
        synced_ = false;
        pending.append(stage_);
        stage_.clear();
        staging_ = false;
        continue;
      }
      remaining_ = payload_len_;
      payload_pos_ = 0;
      if (payload_len_ == 0) {
        staging_ = false;
        header_len_ = 0;
      }
      continue;
    }
    size_t k = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
    std::string chunk(data.substr(0, k));
    data.remove_prefix(k);
    if (payload_pos_ == 0) StartPayload(policy, static_cast<uint8_t>(chunk[0]));
    if (staging_) body_.append(chunk);
    if (corrupt_at_ >= static_cast<int64_t>(payload_pos_) &&
        corrupt_at_ < static_cast<int64_t>(payload_pos_ + k)) {
      chunk[static_cast<size_t>(corrupt_at_) - payload_pos_] ^= static_cast<char>(corrupt_mask_);
    }
    Emit(chunk, &pending);
    payload_pos_ += k;
    remaining_ -= k;
    if (remaining_ > 0) continue;
    // End of the frame: a complete staged barrier is either held or released.
    if (staging_) {
      staging_ = false;
      Decoder d(std::string_view(body_).substr(1));
      uint64_t id = d.Varint64();
      if (d.ok() && d.done() && policy->hold->Matches(id)) {
        if (!pending.empty()) out->push_back(Piece{.bytes = std::move(pending)});
        pending.clear();
        out->push_back(Piece{.bytes = std::move(stage_), .held_barrier = true, .barrier_id = id});
      } else {
        pending.append(stage_);
      }
      stage_.clear();
    }
    header_len_ = 0;
    body_.clear();
    corrupt_at_ = -1;
  }
  if (!staging_ && !stage_.empty()) {
    pending.append(stage_);
    stage_.clear();
  }
  if (!pending.empty()) out->push_back(Piece{.bytes = std::move(pending)});
}

}  // namespace faultline::faults
