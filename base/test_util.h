#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline {

// A fresh directory under $TMPDIR (or /tmp) that is removed with the object, unless the test
// that owns it has failed: then it stays, and its path is printed. Tests only.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code;    // -1 if the command did not exit normally
  std::string out;  // stdout and stderr together
};
// Runs `cmd` through /bin/sh and captures its output. Tests only.
CommandResult RunCommand(const std::string& cmd);

// Path of a built executable: $FAULTLINE_BIN_DIR/name (set by CTest).
std::string BinPath(const std::string& name);
// The source tree: $FAULTLINE_SOURCE_DIR (set by CTest), else ".".
std::string SourceDir();

// A child process for integration tests: fork + exec with stdout/stderr to a file, in its own
// process group, killed (SIGKILL to the group) when the object dies or the test process dies
// (PR_SET_PDEATHSIG). Tests only: the harness has its own node control.
class TestProcess {
 public:
  TestProcess(std::vector<std::string> argv, const std::string& log_path,
              std::vector<std::string> extra_env = {});
  ~TestProcess();
  TestProcess(const TestProcess&) = delete;
  TestProcess& operator=(const TestProcess&) = delete;

  int pid() const { return pid_; }
  void Signal(int sig);  // to the whole group
  // Waits up to `timeout_ms` for the process to exit; returns its wait status, or -1.
  int WaitFor(int64_t timeout_ms);
  bool running() const { return pid_ > 0 && !reaped_; }

 private:
  int pid_ = -1;
  bool reaped_ = false;
};

}  // namespace faultline
