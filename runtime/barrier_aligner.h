#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "base/status.h"

namespace faultline::runtime {

// BarrierAligner decides, for a task with a fixed set of input channels (indices 0..n-1), when
// a checkpoint's barriers are all in and which channels may be read meanwhile.
//
// Promised, in both modes: the snapshot callback runs exactly once for each checkpoint whose
// barrier arrives on some channel, at the moment that barrier has arrived on every channel that
// has not ended (a channel that ends stops counting; a checkpoint that waited only for it
// completes then), in increasing checkpoint order. A checkpoint that some channel skipped is
// abandoned (never snapshotted) once a newer one completes.
//  - Aligned (exactly-once): a channel is blocked from its barrier of checkpoint N until N
//    completes, and the caller takes nothing from a blocked channel. So N's snapshot reflects
//    exactly the items that preceded N's barrier on every channel (and every item of a channel
//    that ended before delivering it). Channels are unblocked right after the snapshot.
//  - Unaligned (at-least-once): no channel is ever blocked; N's snapshot reflects at least the
//    items before N's barrier on every channel, possibly some that came after it.
//
// Protocol: each channel delivers barriers in increasing checkpoint order and nothing after
// its end of stream; in aligned mode every channel delivers the checkpoint being aligned before
// any other (the sources inject every checkpoint). A barrier that breaks this is Corruption
// (the upstream misbehaves; the task should fail over); taking from a blocked or ended channel
// is a caller bug (Internal).
//
// Thread-compatible: used by its task's thread only.
class BarrierAligner {
 public:
  // Takes the snapshot of `checkpoint_id`; its error is returned by the call that invoked it.
  using SnapshotFn = std::function<Status(int64_t checkpoint_id)>;

  BarrierAligner(size_t channels, bool aligned);

  size_t channels() const { return blocked_.size(); }
  bool aligned() const { return aligned_; }
  // Whether the caller may take `channel`'s next item: neither blocked nor ended.
  bool Readable(size_t channel) const { return !blocked_[channel] && !ended_[channel]; }
  bool Blocked(size_t channel) const { return blocked_[channel]; }
  bool Ended(size_t channel) const { return ended_[channel]; }

  // `channel` delivered the barrier of `checkpoint_id`. Calls `snapshot` for every checkpoint
  // this completes (see the class comment), then unblocks every channel.
  Status OnBarrier(size_t channel, int64_t checkpoint_id, const SnapshotFn& snapshot);
  // `channel` delivered its end of stream: it is neither read nor waited for any more. Calls
  // `snapshot` for every checkpoint that was waiting only for it.
  Status OnEndOfStream(size_t channel, const SnapshotFn& snapshot);

 private:
  Status CheckReadable(size_t channel, const char* what) const;
  // Snapshots, in id order, every pending checkpoint whose barrier is in on every live channel;
  // older pending ones are dropped as abandoned.
  Status CompleteReady(const SnapshotFn& snapshot);

  const bool aligned_;
  std::vector<bool> blocked_;
  std::vector<bool> ended_;
  std::vector<int64_t> last_barrier_;  // per channel: the newest checkpoint id it delivered
  // Checkpoints whose barrier arrived on some but not yet all live channels: id -> arrived on.
  std::map<int64_t, std::vector<bool>> pending_;
};

}  // namespace faultline::runtime
