// RunChild and Median: helpers shared by the macro benchmarks.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/clock.h"
#include "bench/macro/macro_bench.h"

namespace faultline::bench {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

Result<ChildUsage> RunChild(const std::vector<std::string>& argv, const std::string& log_path,
                            int64_t timeout_ms) {
  if (argv.empty()) return Status::InvalidArgument("RunChild: empty argv");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return Status::IoError("open " + log_path, errno);
  Stopwatch watch;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    return Status::IoError("fork", errno);
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group, so that a timeout kills its children too
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  ::setpgid(pid, pid);  // also from the parent: no race with a kill before the child runs
  Deadline deadline = Deadline::AfterMillis(timeout_ms);
  int status = 0;
  struct rusage usage {};
  bool timed_out = false;
  while (true) {
    pid_t r = ::wait4(pid, &status, WNOHANG, &usage);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return Status::IoError("wait4", errno);
    if (deadline.Expired() && !timed_out) {
      ::kill(-pid, SIGKILL);
      timed_out = true;
    }
    SleepMillis(timed_out ? 1 : 5);
  }
  ChildUsage u;
  u.wall_s = watch.ElapsedSeconds();
  u.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  u.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  u.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (timed_out) {
    return Status::Timeout(argv[0] + " did not finish within " + std::to_string(timeout_ms / 1000) +
                           " s; see " + log_path);
  }
  return u;
}

}  // namespace faultline::bench
