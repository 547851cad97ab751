#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace faultline::systems {

// How a node process ended, decided from its wait status.
struct ExitInfo {
  bool exited = false;     // WIFEXITED
  int code = 0;            // exit code, or the signal number when signalled
  bool signalled = false;  // WIFSIGNALED
  std::string ToString() const;
};

// NodeProcess is one node of a system under test (a runtime coordinator or worker, a broker)
// under the harness's control: started in its own process group with stdout and stderr
// appended to files in `log_dir`, killed by the kernel if the harness dies
// (PR_SET_PDEATHSIG), and stopped by signalling its whole group. Start, Kill, Pause, Resume,
// Signal and Stop are what the nemesis uses.
// Not thread-safe: the harness drives every node from its main thread, which is also the
// thread that forks them (PDEATHSIG follows the forking thread).
class NodeProcess {
 public:
  NodeProcess(std::string id, std::vector<std::string> argv, std::string log_dir,
              std::vector<std::string> env = {});
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  Status Start();
  Status Signal(int sig);  // to the group
  Status Kill() { return Signal(9); }
  Status Pause();   // SIGSTOP
  Status Resume();  // SIGCONT
  // SIGTERM to the group, wait up to `grace_ms`, then SIGKILL; reaps the process.
  Status Stop(int64_t grace_ms = 5000);
  // Reaps the process if it ended; true while it runs (a paused process runs).
  bool Running();
  // Waits until the process ends or the deadline passes; how it ended, or nullopt if it runs.
  std::optional<ExitInfo> WaitForExit(Deadline deadline);

  const std::string& id() const { return id_; }
  const std::string& log_dir() const { return log_dir_; }
  bool paused() const { return paused_; }
  int pid() const { return pid_; }
  // The process group of the current (or last) start, -1 before the first: how faultfs tells
  // this node's writes from the others'.
  int pgid() const;
  const std::optional<ExitInfo>& last_exit() const { return last_exit_; }
  int starts() const { return starts_; }
  // The command of every later Start() (a node restarted with other flags).
  void SetArgv(std::vector<std::string> argv) { argv_ = std::move(argv); }
  // Extra environment for the next Start() only (e.g. FAULTLINE_FAILPOINTS).
  void SetNextStartEnv(std::vector<std::string> env) { next_env_ = std::move(env); }

 private:
  struct Impl;
  std::string id_;
  std::vector<std::string> argv_;
  std::string log_dir_;
  std::vector<std::string> env_;
  std::vector<std::string> next_env_;
  std::unique_ptr<Impl> impl_;
  int pid_ = -1;
  bool paused_ = false;
  int starts_ = 0;
  std::optional<ExitInfo> last_exit_;
};

// The path of program `name` (a bare name is looked up in PATH), or "" when there is none.
std::string FindProgram(const std::string& name);

// Makes this process a child subreaper, so that a grandchild orphaned by a dying node is
// reparented to the harness (and killed with it) rather than to init.
void BecomeSubreaper();

}  // namespace faultline::systems
