#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "base/rng.h"
#include "base/status.h"
#include "harness/history.h"
#include "harness/scenario.h"

namespace faultline::harness {

// Generator offers load to the runtime open-loop: record i is due at start + i/rate whatever
// the runtime does, so a stalled pipeline cannot slow the offered load unnoticed (no
// coordinated omission). Each record is appended to the input log; once a batch is fsynced,
// every record in it becomes an `input` event carrying its intended and actual times.
// Keys are uniform or zipf, event times are the intended time minus a bounded random disorder.
// Runs on its own thread between Start() and Stop(). Thread-safe accessors.
class Generator {
 public:
  Generator(const WorkloadSpec& spec, Rng rng, std::string input_dir, int partitions,
            HistoryWriter* history);
  ~Generator();

  Status Start();
  // Stops generating (the thread finishes its current batch) and returns the first error.
  Status Stop();
  // Appends a watermark marker to every partition so that the last windows can close.
  Status AppendFinalWatermarks();

  int64_t acknowledged() const { return acknowledged_.load(); }
  // Largest delay between a record's intended and actual append time, in ms.
  int64_t max_lag_ms() const { return max_lag_ms_.load(); }

 private:
  void Loop();

  WorkloadSpec spec_;
  Rng rng_;
  std::string input_dir_;
  int partitions_;
  HistoryWriter* history_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acknowledged_{0};
  std::atomic<int64_t> max_lag_ms_{0};
  Status status_;  // written by the thread, read after join
};

}  // namespace faultline::harness
