#include "runtime/barrier_aligner.h"

#include <string>

namespace faultline::runtime {

BarrierAligner::BarrierAligner(size_t channels, bool aligned)
    : aligned_(aligned),
      blocked_(channels, false),
      ended_(channels, false),
      last_barrier_(channels, 0) {}

Status BarrierAligner::CheckReadable(size_t channel, const char* what) const {
  if (channel >= channels()) {
    return Status::Internal(std::string(what) + " on channel " + std::to_string(channel) + " of " +
                            std::to_string(channels()));
  }
  if (ended_[channel] || blocked_[channel]) {
    return Status::Internal(std::string(what) + " taken from " +
                            (ended_[channel] ? "ended" : "blocked") + " channel " +
                            std::to_string(channel));
  }
  return Status::Ok();
}

Status BarrierAligner::OnBarrier(size_t channel, int64_t checkpoint_id,
                                 const SnapshotFn& snapshot) {
  RETURN_IF_ERROR(CheckReadable(channel, "barrier"));
  if (checkpoint_id <= last_barrier_[channel]) {
    return Status::Corruption("barrier " + std::to_string(checkpoint_id) + " on channel " +
                              std::to_string(channel) + " after barrier " +
                              std::to_string(last_barrier_[channel]));
  }
  if (aligned_ && !pending_.empty() && pending_.begin()->first != checkpoint_id) {
    return Status::Corruption("barrier " + std::to_string(checkpoint_id) + " on channel " +
                              std::to_string(channel) + " while aligning checkpoint " +
                              std::to_string(pending_.begin()->first));
  }
  last_barrier_[channel] = checkpoint_id;
  auto [it, inserted] = pending_.try_emplace(checkpoint_id, channels(), false);
  it->second[channel] = true;
  if (aligned_) blocked_[channel] = true;
  return CompleteReady(snapshot);
}

Status BarrierAligner::OnEndOfStream(size_t channel, const SnapshotFn& snapshot) {
  RETURN_IF_ERROR(CheckReadable(channel, "end of stream"));
  ended_[channel] = true;
  return CompleteReady(snapshot);
}

Status BarrierAligner::CompleteReady(const SnapshotFn& snapshot) {
  std::vector<int64_t> ready;
  for (const auto& [id, arrived] : pending_) {
    bool complete = true;
    for (size_t c = 0; c < channels() && complete; ++c) complete = ended_[c] || arrived[c];
    if (complete) ready.push_back(id);
  }
  if (ready.empty()) return Status::Ok();
  // The newest complete checkpoint subsumes every older pending one: a live channel that has
  // not delivered an older barrier by now skipped it (barriers come in increasing order).
  pending_.erase(pending_.begin(), pending_.upper_bound(ready.back()));
  Status status;
  for (int64_t id : ready) {
    status = snapshot(id);
    if (!status.ok()) break;
  }
  // Aligned mode has at most one pending checkpoint, so this is after every completion there.
  if (pending_.empty()) blocked_.assign(channels(), false);
  return status;
}

}  // namespace faultline::runtime
