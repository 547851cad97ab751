#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "base/rng.h"
#include "base/status.h"
#include "harness/delivery_ledger.h"
#include "harness/history.h"
#include "harness/scenario.h"
#include "systems/system.h"

namespace faultline::harness {

// Generator offers load to the system open-loop: record i is due at start + i/rate whatever
// the system does, so a stalled system cannot slow the offered load unnoticed (no coordinated
// omission). Records due together (at most 100 ms of load) go to the client as one batch; each
// becomes an `input` line once its outcome is known: `t` is when its send was invoked,
// `status` and `ack_t` its outcome (docs/history-format.md), `intended` when the schedule
// wanted it sent. The generator never retries a send. Keys are uniform or zipf; event times
// are the intended time minus a bounded random disorder.
// Runs on its own thread between Start() and Stop(). Thread-safe accessors.
class Generator {
 public:
  // Every send that ends ok is also told to `ledger`.
  Generator(const WorkloadSpec& spec, Rng rng, systems::Client* client, HistoryWriter* history,
            DeliveryLedger* ledger);
  ~Generator();

  Status Start();
  // Stops generating (the thread finishes its current batch) and returns the first error.
  Status Stop();

  // True once the thread ended (Stop(), or the client failed: Stop() then says why).
  bool stopped() const { return stopped_.load(); }
  int64_t acknowledged() const { return acknowledged_.load(); }  // sends that ended ok
  int64_t failed() const { return failed_.load(); }
  int64_t unknown() const { return unknown_.load(); }
  // Largest delay between a record's intended send time and its outcome, in ms.
  int64_t max_lag_ms() const { return max_lag_ms_.load(); }

 private:
  Status Loop();

  WorkloadSpec spec_;
  Rng rng_;
  systems::Client* client_;
  HistoryWriter* history_;
  DeliveryLedger* ledger_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> acknowledged_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> unknown_{0};
  std::atomic<int64_t> max_lag_ms_{0};
  Status status_;  // written by the thread, read after join
};

}  // namespace faultline::harness
