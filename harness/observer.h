#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "harness/history.h"
#include "runtime/sink.h"

namespace faultline::harness {

// Observer tails the job's output directory and records every output record (or window
// result) the first time it is seen: committed, and with `uncommitted` also the pending view.
// It counts what it has seen so that the harness can tell when output stops growing.
// Runs on its own thread between Start() and Stop(); FinalRead() must be called after Stop().
// Thread-safe accessors.
class Observer {
 public:
  Observer(std::string output_dir, bool uncommitted, HistoryWriter* history);
  ~Observer();

  void Start();
  Status Stop();
  // One last poll after the cluster is quiet, so nothing committed goes unrecorded.
  Status FinalRead();

  int64_t committed_seen() const { return committed_seen_.load(); }
  // Distinct ids with at least one committed output (count job).
  size_t delivered_ids() const;

 private:
  Status PollOnce();
  void Record(const runtime::OutputEntry& e);

  runtime::OutputTailer tailer_;
  HistoryWriter* history_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> committed_seen_{0};
  mutable std::mutex mu_;
  std::unordered_set<uint64_t> delivered_;  // guarded by mu_
  Status status_;
};

}  // namespace faultline::harness
