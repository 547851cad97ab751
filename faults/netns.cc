#include "faults/netns.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

extern char** environ;

namespace faultline::faults {
namespace {

constexpr char kNetnsDir[] = "/run/netns";
constexpr int64_t kToolTimeoutMs = 10'000;
constexpr int kIfNameMax = 15;  // IFNAMSIZ - 1
constexpr int kCutPref = 100;
constexpr int kLocalPref = 1000;

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Runs a tool (no shell) and returns its stdout and stderr; an error names the command, its
// exit status and output. Killed after kToolTimeoutMs.
Result<std::string> RunTool(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::IoError("pipe", errno);
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.Close();
  if (rc != 0) return Status::IoError("spawn " + Join(argv), rc);
  std::string output;
  Deadline deadline = Deadline::AfterMillis(kToolTimeoutMs);
  bool timed_out = false;
  char buf[4096];
  while (true) {
    if (!WaitFor(read_end.get(), POLLIN, deadline)) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = ::read(read_end.get(), buf, sizeof(buf));
    if (n > 0) {
      output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return Status::Timeout(Join(argv) + ": no exit within 10 s");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status));
    return Status::Unavailable(Join(argv) + ": " + how + ": " + output);
  }
  return output;
}

Status Ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  return RunTool(args).status();
}

bool OnPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + tool;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

Status CheckSubnet(const std::string& subnet) {
  int a = -1, b = -1, c = -1;
  char tail = 0;
  bool parsed = std::sscanf(subnet.c_str(), "%d.%d.%d%c", &a, &b, &c, &tail) == 3;
  bool private_range = a == 10 || (a == 172 && b >= 16 && b <= 31);
  if (!parsed || !private_range || b < 0 || b > 255 || c < 0 || c > 255) {
    return Status::InvalidArgument("netns: subnet '" + subnet +
                                   "' must be a.b.c with a = 10, or a = 172 and b in 16..31");
  }
  return Status::Ok();
}

std::string NewPrefix(const std::string& family) {
  static std::atomic<int> counter{0};
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%x", static_cast<unsigned>(::getpid()));
  return family + hex + static_cast<char>('g' + counter++ % 20);
}

}  // namespace

Status NetnsSupported() {
  if (::geteuid() != 0) {
    return Status::Unavailable("netns backend needs root (running as uid " +
                               std::to_string(::geteuid()) + ")");
  }
  if (!OnPath("ip")) return Status::Unavailable("netns backend needs `ip` (iproute2) on PATH");
  Status s = Ip({"netns", "list"});
  if (!s.ok()) return Status::Unavailable("netns backend: `ip netns list` failed: " + s.message());
  return Status::Ok();
}

std::optional<int> NetnsOwnerPid(std::string_view name, std::string_view family) {
  if (family.empty() || name.substr(0, family.size()) != family) return std::nullopt;
  name.remove_prefix(family.size());
  size_t digits = 0;
  int64_t pid = 0;
  for (; digits < name.size() && digits < 8; ++digits) {
    char c = name[digits];
    if (c >= '0' && c <= '9') {
      pid = pid * 16 + (c - '0');
    } else if (c >= 'a' && c <= 'f') {
      pid = pid * 16 + (c - 'a' + 10);
    } else {
      break;
    }
  }
  if (digits == 0 || digits + 1 >= name.size()) return std::nullopt;
  char letter = name[digits];
  if (letter < 'g' || letter > 'z' || name[digits + 1] != '-') return std::nullopt;
  return static_cast<int>(pid);
}

Status NetnsNetwork::Validate(const std::vector<std::string>& nodes, const Options& options) {
  const std::string& f = options.family;
  if (f.size() < 2 || f.size() > 4 ||
      !std::all_of(f.begin(), f.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    return Status::InvalidArgument("netns: family '" + f + "' must be 2 to 4 lowercase letters");
  }
  RETURN_IF_ERROR(CheckSubnet(options.subnet));
  if (nodes.empty() || nodes.size() > 250) {
    return Status::InvalidArgument("netns: needs 1 to 250 nodes, got " +
                                   std::to_string(nodes.size()));
  }
  std::set<std::string> unique(nodes.begin(), nodes.end());
  if (unique.size() != nodes.size()) return Status::InvalidArgument("netns: duplicate node id");
  return Status::Ok();
}

Result<std::vector<std::string>> NetnsNetwork::RemoveStale(const std::string& family) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!std::filesystem::exists(kNetnsDir, ec)) return removed;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kNetnsDir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) return Status::IoError(std::string("list ") + kNetnsDir, ec.value());
  for (const auto& name : names) {
    std::optional<int> pid = NetnsOwnerPid(name, family);
    if (!pid.has_value() || *pid <= 0) continue;
    if (::kill(*pid, 0) == 0 || errno != ESRCH) continue;  // its run is alive (or not ours)
    RETURN_IF_ERROR(Ip({"netns", "del", name}));
    removed.push_back(name);
  }
  return removed;
}

NetnsNetwork::NetnsNetwork(std::vector<std::string> nodes, Options options, std::string prefix)
    : nodes_(std::move(nodes)), options_(std::move(options)), prefix_(std::move(prefix)) {}

Result<std::unique_ptr<NetnsNetwork>> NetnsNetwork::Create(const std::vector<std::string>& nodes,
                                                           Options options) {
  RETURN_IF_ERROR(Validate(nodes, options));
  RETURN_IF_ERROR(NetnsSupported());
  ASSIGN_OR_RETURN(std::vector<std::string> stale, RemoveStale(options.family));
  (void)stale;
  std::string prefix = NewPrefix(options.family);
  std::unique_ptr<NetnsNetwork> net(new NetnsNetwork(nodes, std::move(options), prefix));
  Status built = net->Build();
  if (!built.ok()) {
    Status destroyed = net->Destroy();
    if (!destroyed.ok())
      return built.WithContext("netns (cleanup also failed: " + destroyed.message() + ")");
    return built.WithContext("netns");
  }
  return net;
}

Status NetnsNetwork::Build() {
  std::string hub = prefix_ + "-hub";
  std::string bridge = prefix_ + "br";
  std::string longest = prefix_ + "v" + std::to_string(nodes_.size() - 1);
  if (static_cast<int>(std::max(longest.size(), bridge.size())) > kIfNameMax) {
    return Status::InvalidArgument("interface name '" + longest + "' is longer than " +
                                   std::to_string(kIfNameMax) + " characters");
  }
  RETURN_IF_ERROR(Ip({"netns", "add", hub}));
  created_.push_back(hub);
  RETURN_IF_ERROR(Ip({"-n", hub, "link", "add", bridge, "type", "bridge"}));
  RETURN_IF_ERROR(Ip({"-n", hub, "link", "set", bridge, "up"}));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::string ns = prefix_ + "-n" + std::to_string(i);
    std::string veth = prefix_ + "v" + std::to_string(i);
    std::string address = options_.subnet + "." + std::to_string(i + 1) + "/24";
    RETURN_IF_ERROR(Ip({"netns", "add", ns}));
    created_.push_back(ns);
    RETURN_IF_ERROR(Ip({"-n", ns, "link", "set", "lo", "up"}));
    RETURN_IF_ERROR(
        Ip({"-n", hub, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns}));
    RETURN_IF_ERROR(Ip({"-n", hub, "link", "set", veth, "master", bridge}));
    RETURN_IF_ERROR(Ip({"-n", hub, "link", "set", veth, "up"}));
    RETURN_IF_ERROR(Ip({"-n", ns, "addr", "add", address, "dev", "eth0"}));
    RETURN_IF_ERROR(Ip({"-n", ns, "link", "set", "eth0", "up"}));
    // Cut rules must come before local delivery, which sits at priority 0 by default.
    RETURN_IF_ERROR(
        Ip({"-n", ns, "rule", "add", "pref", std::to_string(kLocalPref), "lookup", "local"}));
    RETURN_IF_ERROR(Ip({"-n", ns, "rule", "del", "pref", "0", "lookup", "local"}));
  }
  return Status::Ok();
}

NetnsNetwork::~NetnsNetwork() { (void)Destroy(); }

Status NetnsNetwork::Destroy() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    Status s = Ip({"netns", "del", *it});
    if (!s.ok() && first.ok()) first = s;
  }
  created_.clear();
  refs_.clear();
  handles_.clear();
  return first;
}

Result<size_t> NetnsNetwork::IndexOf(const std::string& node) const {
  auto it = std::find(nodes_.begin(), nodes_.end(), node);
  if (it == nodes_.end()) return Status::NotFound("netns: no node '" + node + "'");
  return static_cast<size_t>(it - nodes_.begin());
}

Result<std::string> NetnsNetwork::NamespaceOf(const std::string& node) const {
  ASSIGN_OR_RETURN(size_t i, IndexOf(node));
  return prefix_ + "-n" + std::to_string(i);
}

Result<std::string> NetnsNetwork::AddressOf(const std::string& node) const {
  ASSIGN_OR_RETURN(size_t i, IndexOf(node));
  return options_.subnet + "." + std::to_string(i + 1);
}

Result<std::vector<std::string>> NetnsNetwork::WrapCommand(
    const std::string& node, const std::vector<std::string>& argv) const {
  ASSIGN_OR_RETURN(std::string ns, NamespaceOf(node));
  std::vector<std::string> out = {"ip", "netns", "exec", ns};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Result<Fd> NetnsNetwork::SocketIn(const std::string& node) const {
  ASSIGN_OR_RETURN(std::string ns, NamespaceOf(node));
  // A socket belongs to the namespace of the thread that made it: switch a helper thread.
  Result<Fd> result = Status::Internal("netns: socket thread did not run");
  std::thread([&] {
    std::string path = std::string(kNetnsDir) + "/" + ns;
    Fd nsfd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd.valid()) {
      result = Status::IoError("open " + path, errno);
    } else if (::setns(nsfd.get(), CLONE_NEWNET) != 0) {
      result = Status::IoError("setns " + path, errno);
    } else {
      result = NewTcpSocket();
    }
  }).join();
  return result;
}

Result<Fd> NetnsNetwork::ListenIn(const std::string& node, int port) const {
  ASSIGN_OR_RETURN(std::string ip, AddressOf(node));
  ASSIGN_OR_RETURN(Fd fd, SocketIn(node));
  RETURN_IF_ERROR(BindAndListen(fd.get(), ip + ":" + std::to_string(port)));
  return fd;
}

Result<Fd> NetnsNetwork::DialFrom(const std::string& node, const std::string& address,
                                  Deadline deadline) const {
  ASSIGN_OR_RETURN(Fd fd, SocketIn(node));
  return ConnectBlocking(address, deadline, std::move(fd));
}

Status NetnsNetwork::ApplyCut(const Cut& cut, bool on) {
  ASSIGN_OR_RETURN(std::string ns, NamespaceOf(cut.to));
  ASSIGN_OR_RETURN(std::string from_ip, AddressOf(cut.from));
  return Ip({"-n", ns, "rule", on ? "add" : "del", "pref", std::to_string(kCutPref), "from",
             from_ip + "/32", "blackhole"});
}

Status NetnsNetwork::CheckKind(std::string_view kind) const {
  if (kind == "partition") return Status::Ok();
  return Status::InvalidArgument("netns backend: only partition faults; '" + std::string(kind) +
                                 "' needs the proxy backend (\"network\": \"proxy\")");
}

Result<int> NetnsNetwork::Begin(const LinkFault& fault, Rng rng) {
  RETURN_IF_ERROR(CheckKind(fault.kind));
  LinkFault resolved = fault;
  if (resolved.all_nodes.empty()) resolved.all_nodes = nodes_;
  for (const auto& n : resolved.all_nodes) RETURN_IF_ERROR(IndexOf(n).status());
  ASSIGN_OR_RETURN(std::set<Cut> cuts, PartitionCuts(resolved, rng));
  std::lock_guard<std::mutex> lock(mu_);
  int handle = next_handle_++;
  std::vector<Cut>& mine = handles_[handle];
  for (const Cut& cut : cuts) {
    if (refs_[cut] == 0) {
      Status s = ApplyCut(cut, true);
      if (!s.ok()) {  // undo this fault's share and report
        for (const Cut& c : mine) {
          if (--refs_[c] == 0) (void)ApplyCut(c, false);
        }
        handles_.erase(handle);
        return s;
      }
    }
    ++refs_[cut];
    mine.push_back(cut);
  }
  return handle;
}

Status NetnsNetwork::End(int handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) {
    return Status::NotFound("netns: no active fault with handle " + std::to_string(handle));
  }
  Status first;
  for (const Cut& cut : it->second) {
    if (--refs_[cut] > 0) continue;
    refs_.erase(cut);
    Status s = ApplyCut(cut, false);
    if (!s.ok() && first.ok()) first = s;
  }
  handles_.erase(it);
  return first;
}

Status NetnsNetwork::HealAll() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first;
  for (const auto& [cut, refs] : refs_) {
    if (refs <= 0) continue;
    Status s = ApplyCut(cut, false);
    if (!s.ok() && first.ok()) first = s;
  }
  refs_.clear();
  handles_.clear();
  return first;
}

std::set<Cut> NetnsNetwork::cuts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<Cut> out;
  for (const auto& [cut, refs] : refs_) {
    if (refs > 0) out.insert(cut);
  }
  return out;
}

}  // namespace faultline::faults
