#include "systems/idle_quiescence.h"

#include "base/clock.h"

namespace faultline::systems {

bool IdleQuiescence::Observe(const DeliveryProgress& progress) {
  if (progress.acknowledged_delivered >= progress.acknowledged) return true;
  const int64_t now = MonotonicMillis();
  if (progress.committed_seen != seen_) {
    seen_ = progress.committed_seen;
    since_ms_ = now;
    return false;
  }
  return now - since_ms_ >= idle_ms_;
}

}  // namespace faultline::systems
