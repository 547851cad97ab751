#include "base/test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace faultline {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/faultline-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  // A failed test keeps its files (node logs, histories, stores), so that the failure can be
  // explained after the fact, on a shared CI machine too.
  if (::testing::UnitTest::GetInstance()->current_test_info() != nullptr &&
      ::testing::Test::HasFailure()) {
    std::fprintf(stderr, "kept %s: the test failed\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCommand(const std::string& cmd) {
  CommandResult r{-1, ""};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string BinPath(const std::string& name) {
  const char* dir = std::getenv("FAULTLINE_BIN_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/" + name;
}

std::string SourceDir() {
  const char* dir = std::getenv("FAULTLINE_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

TestProcess::TestProcess(std::vector<std::string> argv, const std::string& log_path,
                         std::vector<std::string> extra_env) {
  // Everything the child needs is built before fork: after it, only exec-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (auto& e : extra_env) env_strings.push_back(std::move(e));
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

TestProcess::~TestProcess() {
  if (running()) {
    Signal(SIGKILL);
    WaitFor(10'000);
  }
}

void TestProcess::Signal(int sig) {
  if (running()) ::kill(-pid_, sig);
}

int TestProcess::WaitFor(int64_t timeout_ms) {
  if (pid_ <= 0 || reaped_) return -1;
  for (int64_t waited = 0; waited <= timeout_ms; waited += 5) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    ::usleep(5000);
  }
  return -1;
}

}  // namespace faultline
