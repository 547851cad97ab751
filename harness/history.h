#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "base/status.h"

namespace faultline::harness {

// HistoryWriter records the history of a run as JSON lines (docs/history-format.md): each event
// gets "t", nanoseconds since the run started (CLOCK_MONOTONIC, which the runtime's events also
// carry). Lines are buffered and flushed at least every `flush_ms`; Close() flushes the rest.
// Thread-safe: the generator, the observer and the nemesis write concurrently.
class HistoryWriter {
 public:
  HistoryWriter(int64_t start_mono_ns, std::string path)
      : start_ns_(start_mono_ns), path_(std::move(path)) {}
  Status Open();
  // Adds "t" (now, or `at_mono_ns` when given) and appends the event.
  void Write(nlohmann::json event, int64_t at_mono_ns = -1);
  // Appends a pre-rendered line that already has its "t" (the hot path of the generator).
  void WriteLine(std::string line);
  Status Flush();
  Status Close();

  int64_t Now() const;  // ns since run start
  int64_t start_ns() const { return start_ns_; }
  const std::string& path() const { return path_; }
  Status status();

 private:
  int64_t start_ns_;
  std::string path_;
  std::mutex mu_;
  std::unique_ptr<AppendFile> file_;  // guarded by mu_
  std::string buffer_;                // guarded by mu_
  Status status_;                     // first write error; guarded by mu_
};

}  // namespace faultline::harness
