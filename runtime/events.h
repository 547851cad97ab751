#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace faultline::runtime {

// EventLog appends one JSON object per line to a node's events.jsonl:
//   {"mono_ns":..., "wall_ms":..., "node":"worker-1", "event":"checkpoint-completed", ...}
// mono_ns is CLOCK_MONOTONIC, which every process on the machine shares, so the harness can
// place events on its own time axis. Each line is one write(2) to an O_APPEND file, so a crash
// leaves at most a torn last line. Thread-safe.
class EventLog {
 public:
  EventLog() = default;  // discards events until Open()
  ~EventLog();
  Status Open(const std::string& path, std::string node);
  void Emit(const std::string& event, nlohmann::json fields = nlohmann::json::object());

 private:
  std::mutex mu_;
  int fd_ = -1;
  std::string node_;
};

// The events of one node's events.jsonl (in `data_dir`), in file order; a torn last line, or
// any line that is not an event object with mono_ns, is skipped. None when there is no file.
std::vector<nlohmann::json> ReadEventLog(const std::string& data_dir);

}  // namespace faultline::runtime
