#pragma once

#include <cstdint>

#include "systems/system.h"

namespace faultline::systems {

// IdleQuiescence is the quiescence rule of systems that have no checkpoints to count: every
// acknowledged send delivered, or no new delivery for `idle_ms` (what is still owed then is
// taken as never coming). The clock starts at the first observation. Thread-compatible.
class IdleQuiescence {
 public:
  explicit IdleQuiescence(int64_t idle_ms) : idle_ms_(idle_ms) {}
  bool Observe(const DeliveryProgress& progress);

 private:
  int64_t idle_ms_;
  int64_t seen_ = -1;
  int64_t since_ms_ = 0;
};

}  // namespace faultline::systems
