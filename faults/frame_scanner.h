#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"

namespace faultline::faults {

// Which checkpoint barriers a barrier hold applies to: those with id % every_k == 0 (when
// every_k > 0) and id >= from_id. The default matches every barrier.
struct BarrierRule {
  int64_t every_k = 0;
  int64_t from_id = 0;
  bool Matches(uint64_t id) const;
};

// FrameScanner follows the runtime's frame boundaries in one direction of one TCP stream
// (frames are base/record_log.h log frames whose payload starts with a runtime/wire.h
// FrameType byte) without buffering whole frames, so that the link proxy can act on frames
// while it relays bytes:
//  - barrier hold: the bytes of a barrier frame are staged until the frame is complete and its
//    checkpoint id is known; a barrier that matches the rule comes out as a piece of its own
//    marked `held_barrier`, so the caller can hold it and everything behind it. Bytes of other
//    frames are never staged beyond their first payload byte (the type).
//  - corruption: flips one byte inside the payload of the next N frames that are not a hello,
//    which a receiver's CRC check always detects (the CRC covers length and payload).
// Bytes come out in exactly the order they went in, and none are dropped. A length above
// kMaxLogRecordSize means the stream is not made of frames (or is already corrupt): the scanner
// then passes everything through untouched for the rest of the stream (synced() == false).
// Thread-compatible: one scanner per stream direction, used by one thread at a time.
class FrameScanner {
 public:
  // What to do to the frames of the next Feed(). Fields are read and updated by Feed().
  struct Policy {
    const BarrierRule* hold = nullptr;  // non-null: stage barriers, mark the matching ones
    int corrupt_budget = 0;             // frames still to corrupt (decremented)
    int64_t corrupted = 0;              // frames corrupted by this call (incremented)
    Rng* rng = nullptr;  // picks the corrupted byte and its XOR mask; else middle byte, 0xFF
  };
  struct Piece {
    std::string bytes;
    bool held_barrier = false;  // starts with a barrier frame that matched the hold rule
    uint64_t barrier_id = 0;    // that barrier's checkpoint id
  };

  // Consumes `data` and appends the bytes that are ready to forward to `out`, in order.
  void Feed(std::string_view data, Policy* policy, std::vector<Piece>* out);
  // Releases bytes staged for an undecided barrier as an ordinary piece (the hold was lifted,
  // or the stream ended with a partial frame).
  void Flush(std::vector<Piece>* out);

  bool synced() const { return synced_; }
  size_t staged_bytes() const { return stage_.size(); }
  int64_t frames_seen() const { return frames_seen_; }

 private:
  void StartPayload(Policy* policy, uint8_t type);
  void Emit(std::string_view bytes, std::string* pending);

  bool synced_ = true;
  char header_[8] = {};
  size_t header_len_ = 0;   // header bytes of the current frame seen so far
  uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  uint64_t payload_len_ = 0;
  uint64_t payload_pos_ = 0;  // payload bytes of the current frame seen so far
  bool staging_ = false;      // the current frame's bytes go to stage_
  std::string stage_;         // the current (possibly held) barrier frame
  std::string body_;          // the current barrier's payload, as received
  int64_t corrupt_at_ = -1;   // payload index to flip in the current frame, or -1
  uint8_t corrupt_mask_ = 0xFF;
  int64_t frames_seen_ = 0;
};

}  // namespace faultline::faults
