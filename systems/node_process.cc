#include "systems/node_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"

namespace bp = boost::process;

namespace faultline::systems {

struct NodeProcess::Impl {
  bp::group group;
  bp::child child;
};

std::string ExitInfo::ToString() const {
  if (signalled) return "killed by signal " + std::to_string(code) + " (" + strsignal(code) + ")";
  if (exited) return "exited with code " + std::to_string(code);
  return "still running";
}

void BecomeSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  return bp::search_path(name).string();
}

NodeProcess::NodeProcess(std::string id, std::vector<std::string> argv, std::string log_dir,
                         std::vector<std::string> env)
    : id_(std::move(id)),
      argv_(std::move(argv)),
      log_dir_(std::move(log_dir)),
      env_(std::move(env)) {}

NodeProcess::~NodeProcess() {
  if (impl_ != nullptr) (void)Stop(2000);
}

Status NodeProcess::Start() {
  if (impl_ != nullptr && Running()) return Status::AlreadyExists(id_ + " is already running");
  RETURN_IF_ERROR(CreateDirs(log_dir_));
  auto impl = std::make_unique<Impl>();
  bp::environment env = boost::this_process::environment();
  for (const auto& list : {env_, next_env_}) {
    for (const auto& kv : list) {
      auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  // A bare program name (e.g. `ip` for a node in a network namespace) is looked up in PATH.
  const std::string exe = FindProgram(argv_[0]);
  if (exe.empty()) {
    return Status::NotFound(
        "start " + id_ + ": " + argv_[0] +
        (argv_[0].find('/') == std::string::npos ? " is not on PATH" : " is not executable"));
  }
  next_env_.clear();
  pid_t harness = ::getpid();
  std::error_code ec;
  std::vector<std::string> args(argv_.begin() + 1, argv_.end());
  // Output is appended, so that a restarted node's log continues its predecessor's.
  std::string out = JoinPath(log_dir_, "stdout");
  std::string err = JoinPath(log_dir_, "stderr");
  FILE* out_f = std::fopen(out.c_str(), "a");
  FILE* err_f = std::fopen(err.c_str(), "a");
  if (out_f == nullptr || err_f == nullptr) {
    if (out_f) std::fclose(out_f);
    if (err_f) std::fclose(err_f);
    return Status::IoError("open logs in " + log_dir_, errno);
  }
  impl->child = bp::child(
      bp::exe = exe, bp::args = args, env, impl->group, bp::std_in.close(), bp::std_out > out_f,
      bp::std_err > err_f, ec, bp::extend::on_exec_setup = [harness](auto&) {
        // Die with the harness, even when it is SIGKILLed.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != harness) ::_exit(127);
      });
  std::fclose(out_f);
  std::fclose(err_f);
  if (ec) return Status::Internal("start " + id_ + " (" + argv_[0] + "): " + ec.message());
  pid_ = impl->child.id();
  impl_ = std::move(impl);
  paused_ = false;
  ++starts_;
  last_exit_.reset();
  return Status::Ok();
}

bool NodeProcess::Running() {
  if (impl_ == nullptr) return false;
  if (last_exit_) return false;
  // waitpid directly: Boost's running() folds signals into exit codes; we want WIFSIGNALED.
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  ExitInfo info;
  if (r == pid_) {
    info.exited = WIFEXITED(status);
    info.signalled = WIFSIGNALED(status);
    info.code = info.signalled ? WTERMSIG(status) : WEXITSTATUS(status);
  } else {
    info.exited = true;  // reaped elsewhere: unknown how
    info.code = -1;
  }
  last_exit_ = info;
  impl_->child.detach();  // already reaped: keep Boost from waiting on it
  return false;
}

std::optional<ExitInfo> NodeProcess::WaitForExit(Deadline deadline) {
  PollUntil([&] { return !Running(); }, deadline, 5);
  if (Running()) return std::nullopt;
  return last_exit_;
}

int NodeProcess::pgid() const {
  return impl_ == nullptr ? -1 : static_cast<int>(impl_->group.native_handle());
}

Status NodeProcess::Signal(int sig) {
  if (impl_ == nullptr) return Status::Unavailable(id_ + " was never started");
  // The group outlives its leader's death until reaped; signal it regardless.
  if (::kill(-static_cast<pid_t>(impl_->group.native_handle()), sig) != 0 && errno != ESRCH) {
    return Status::IoError("signal " + std::to_string(sig) + " to " + id_, errno);
  }
  return Status::Ok();
}

Status NodeProcess::Pause() {
  RETURN_IF_ERROR(Signal(SIGSTOP));
  paused_ = true;
  return Status::Ok();
}

Status NodeProcess::Resume() {
  RETURN_IF_ERROR(Signal(SIGCONT));
  paused_ = false;
  return Status::Ok();
}

Status NodeProcess::Stop(int64_t grace_ms) {
  if (impl_ == nullptr) return Status::Ok();
  if (Running()) {
    if (paused_) (void)Signal(SIGCONT);  // a stopped process cannot act on SIGTERM
    (void)Signal(SIGTERM);
    if (!PollUntil([&] { return !Running(); }, Deadline::AfterMillis(grace_ms), 20)) {
      FL_LOG(Warning) << id_ << " ignored SIGTERM for " << grace_ms << " ms: SIGKILL";
      (void)Signal(SIGKILL);
      PollUntil([&] { return !Running(); }, Deadline::AfterMillis(10'000), 20);
    }
  }
  // Whatever else is left in the group (nothing, normally) goes too.
  std::error_code ec;
  impl_->group.terminate(ec);
  paused_ = false;
  return Status::Ok();
}

}  // namespace faultline::systems
