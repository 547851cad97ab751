#include "systems/command/adapter_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/file.h"

namespace faultline::systems {
namespace {

// Forks `argv` in a process group of its own; `in` and `out` become its stdin and stdout (-1:
// /dev/null), its stderr is appended to `err_path`. Returns its pid.
Result<int> Spawn(const std::vector<std::string>& argv, int in, int out,
                  const std::string& err_path) {
  if (argv.empty()) return Status::InvalidArgument("an empty command");
  const std::string exe = FindProgram(argv[0]);
  if (exe.empty()) return Status::NotFound(argv[0] + " is not on PATH or not executable");
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err < 0) return Status::IoError("open " + err_path, errno);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err);
    return Status::IoError("fork", errno);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(in >= 0 ? in : null, STDIN_FILENO);
    ::dup2(out >= 0 ? out : null, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(exe.c_str(), args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // from the parent too: no race with an early kill
  ::close(err);
  return static_cast<int>(pid);
}

ExitInfo ExitOf(int status) {
  ExitInfo e;
  e.exited = WIFEXITED(status);
  e.signalled = WIFSIGNALED(status);
  e.code = e.signalled ? WTERMSIG(status) : WEXITSTATUS(status);
  return e;
}

}  // namespace

Result<std::unique_ptr<AdapterProcess>> AdapterProcess::Start(std::string name,
                                                              const std::vector<std::string>& argv,
                                                              std::string stderr_path) {
  // An adapter that exits must make a write fail with EPIPE, not kill the harness.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  RETURN_IF_ERROR(CreateDirs(DirName(stderr_path)));
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return Status::IoError("pipe", errno);
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return Status::IoError("pipe", errno);
  }
  std::unique_ptr<AdapterProcess> p(new AdapterProcess(std::move(name), std::move(stderr_path)));
  auto pid = Spawn(argv, to_child[0], from_child[1], p->stderr_path_);
  ::close(to_child[0]);
  ::close(from_child[1]);
  p->in_fd_ = to_child[1];
  p->out_fd_ = from_child[0];
  if (!pid.ok()) return pid.status().WithContext(p->name_);
  p->pid_ = *pid;
  ::fcntl(p->in_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(p->out_fd_, F_SETFL, O_NONBLOCK);
  return p;
}

AdapterProcess::~AdapterProcess() {
  Stop(500);
  if (in_fd_ >= 0) ::close(in_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool AdapterProcess::Reap() {
  if (exit_) return true;
  if (pid_ <= 0) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  exit_ = ExitOf(status);
  return true;
}

std::string AdapterProcess::Describe() {
  return name_ + " " + (Reap() && exit_ ? exit_->ToString() : std::string("is running"));
}

Status AdapterProcess::Write(std::string_view text, Deadline deadline) {
  while (!text.empty()) {
    if (in_fd_ < 0) return Status::Unavailable(name_ + ": its stdin is closed");
    ssize_t n = ::write(in_fd_, text.data(), text.size());
    if (n > 0) {
      text.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) return Status::Unavailable(Describe() + " (its stdin is closed)");
    if (n < 0 && errno != EAGAIN) return Status::IoError(name_ + ": write", errno);
    pollfd p{in_fd_, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, deadline.RemainingMillis()))) == 0 &&
        deadline.Expired()) {
      return Status::Timeout(name_ + " did not read its input in time");
    }
  }
  return Status::Ok();
}

Result<std::optional<std::string>> AdapterProcess::ReadLine(Deadline deadline) {
  while (true) {
    if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return std::optional<std::string>(std::move(line));
    }
    char chunk[4096];
    ssize_t n = ::read(out_fd_, chunk, sizeof(chunk));
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      // Its stdout closed: it exited, or is about to.
      PollUntil([&] { return Reap(); }, Deadline::AfterMillis(500), 10);
      return Status::Unavailable(Describe() + " (it closed its output" +
                                 (buffer_.empty() ? "" : " after \"" + buffer_ + "\"") + ")");
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Status::IoError(name_ + ": read", errno);
    if (deadline.Expired()) return std::optional<std::string>();
    pollfd p{out_fd_, POLLIN, 0};
    ::poll(
        &p, 1,
        static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(deadline.RemainingMillis(), 100))));
  }
}

void AdapterProcess::CloseStdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

void AdapterProcess::Stop(int64_t grace_ms) {
  if (pid_ <= 0 || stopped_) return;
  stopped_ = true;
  if (!Reap()) {
    ::kill(-pid_, SIGTERM);
    if (!PollUntil([&] { return Reap(); }, Deadline::AfterMillis(grace_ms), 10)) {
      ::kill(-pid_, SIGKILL);
      PollUntil([&] { return Reap(); }, Deadline::AfterMillis(5000), 10);
    }
  }
  ::kill(-pid_, SIGKILL);  // whatever else it started in its group
}

std::string AdapterProcess::StderrTail(size_t bytes) const {
  auto text = ReadFileToString(stderr_path_);
  if (!text.ok() || text->empty()) return "(its stderr is empty)";
  return text->size() > bytes ? "..." + text->substr(text->size() - bytes) : *text;
}

Result<int> RunToExit(const std::vector<std::string>& argv, const std::string& log_path,
                      int64_t timeout_ms) {
  RETURN_IF_ERROR(CreateDirs(DirName(log_path)));
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return Status::IoError("open " + log_path, errno);
  auto pid = Spawn(argv, -1, log, log_path);
  ::close(log);
  if (!pid.ok()) return pid.status();
  int status = 0;
  bool done = PollUntil([&] { return ::waitpid(*pid, &status, WNOHANG) == *pid; },
                        Deadline::AfterMillis(timeout_ms), 20);
  ::kill(-*pid, SIGKILL);
  if (!done) {
    ::waitpid(*pid, &status, 0);
    return -1;
  }
  ExitInfo e = ExitOf(status);
  return e.exited ? e.code : -1;
}

}  // namespace faultline::systems
