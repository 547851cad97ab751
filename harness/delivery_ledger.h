#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace faultline::harness {

// DeliveryLedger counts the acknowledged sends that have been delivered: the generator tells
// it which ids were acknowledged (ok), the observer which were delivered, in either order
// (output may be seen before its send's outcome is). A count of distinct delivered ids would
// not do: a send that ended unknown and was delivered anyway would stand in for an
// acknowledged one still on its way, and the run would be declared quiescent too early.
// Thread-safe.
class DeliveryLedger {
 public:
  void Acknowledged(uint64_t id);
  void Delivered(uint64_t id);
  // A delivery of `id` was taken back (a retraction): it counts until none is left.
  void Retracted(uint64_t id);
  int64_t acknowledged_delivered() const;

 private:
  mutable std::mutex mu_;
  std::unordered_set<uint64_t> acknowledged_;        // guarded by mu_
  std::unordered_map<uint64_t, int64_t> delivered_;  // deliveries standing; guarded by mu_
  int64_t both_ = 0;                                 // guarded by mu_
};

}  // namespace faultline::harness
