#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "checkers/deliveries_by_source.h"
#include "harness/delivery_ledger.h"
#include "harness/history.h"
#include "systems/system.h"

namespace faultline::harness {

// Observer polls the system's Reader and records every delivery in the history the first time
// it is seen (an `output` or `window` line, committed or, when the reader was opened with the
// uncommitted view, not yet), and every retraction (a `retraction` line). It counts what it has
// seen so that the system can tell when output stops growing. Runs on its own thread between
// Start() and Stop(); FinalRead() must be called after Stop(). Thread-safe accessors.
class Observer {
 public:
  // Every committed record delivery is also told to `ledger`.
  Observer(systems::Reader* reader, HistoryWriter* history, DeliveryLedger* ledger);
  ~Observer();

  void Start();
  Status Stop();
  // One last poll after the system is quiet, so nothing delivered goes unrecorded.
  Status FinalRead();

  // True once the polling thread ended (Stop(), or the reader failed: Stop() then says why).
  bool stopped() const { return stopped_.load(); }
  int64_t committed_seen() const { return committed_seen_.load(); }

 private:
  Status PollOnce();
  void Record(const systems::Delivery& d);

  systems::Reader* reader_;
  HistoryWriter* history_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> committed_seen_{0};
  DeliveryLedger* ledger_;
  std::vector<systems::Delivery> batch_;  // the polling thread's
  // The ids of committed record deliveries by source, in order, so that a retraction can tell
  // the ledger which ids it took back. The polling thread's.
  checkers::DeliveriesBySource<uint64_t> ids_by_source_;
  Status status_;
};

}  // namespace faultline::harness
