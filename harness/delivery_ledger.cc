#include "harness/delivery_ledger.h"

namespace faultline::harness {

void DeliveryLedger::Acknowledged(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (acknowledged_.insert(id).second && delivered_.count(id) != 0) ++both_;
}

void DeliveryLedger::Delivered(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (++delivered_[id] == 1 && acknowledged_.count(id) != 0) ++both_;
}

void DeliveryLedger::Retracted(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = delivered_.find(id);
  if (it == delivered_.end()) return;
  if (--it->second > 0) return;
  delivered_.erase(it);
  if (acknowledged_.count(id) != 0) --both_;
}

int64_t DeliveryLedger::acknowledged_delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return both_;
}

}  // namespace faultline::harness
