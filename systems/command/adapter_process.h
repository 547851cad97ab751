#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "systems/node_process.h"

namespace faultline::systems {

// AdapterProcess is a user's program the harness talks to in JSON lines (docs/systems/
// command.md): a child in its own process group with its stdin and stdout on pipes and its
// stderr appended to a file, killed by the kernel if the harness dies (PR_SET_PDEATHSIG) and
// by group when stopped or destroyed. Every read and write takes a deadline. Not thread-safe:
// one thread talks to it; it must be started from the thread that lives as long as it.
class AdapterProcess {
 public:
  static Result<std::unique_ptr<AdapterProcess>> Start(std::string name,
                                                       const std::vector<std::string>& argv,
                                                       std::string stderr_path);
  ~AdapterProcess();
  AdapterProcess(const AdapterProcess&) = delete;
  AdapterProcess& operator=(const AdapterProcess&) = delete;

  // Writes `text` (whole lines) to its stdin; Timeout when it does not read them in time,
  // Unavailable when it exited.
  Status Write(std::string_view text, Deadline deadline);
  // The next line of its stdout without the newline; nullopt at the deadline; Unavailable
  // (saying how it ended) when it closed its stdout or exited.
  Result<std::optional<std::string>> ReadLine(Deadline deadline);
  void CloseStdin();
  // SIGTERM to its group, SIGKILL after `grace_ms`; reaps it.
  void Stop(int64_t grace_ms = 2000);

  const std::string& name() const { return name_; }
  // The last `bytes` of its stderr, for error messages.
  std::string StderrTail(size_t bytes = 2000) const;
  // "`name` exited with code 3" (or "is running"), for error messages.
  std::string Describe();

 private:
  AdapterProcess(std::string name, std::string stderr_path)
      : name_(std::move(name)), stderr_path_(std::move(stderr_path)) {}
  bool Reap();  // true once it ended; exit_ says how

  std::string name_;
  std::string stderr_path_;
  int pid_ = -1;
  int in_fd_ = -1;   // its stdin
  int out_fd_ = -1;  // its stdout
  std::string buffer_;
  std::optional<ExitInfo> exit_;
  bool stopped_ = false;
};

// Runs `argv` to completion within `timeout_ms` (its group killed after that), stdout and
// stderr appended to `log_path`; its exit code, or -1 when it was killed or timed out.
Result<int> RunToExit(const std::vector<std::string>& argv, const std::string& log_path,
                      int64_t timeout_ms);

}  // namespace faultline::systems
