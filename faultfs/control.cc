#include "faultfs/control.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace faultline::faultfs {
namespace {

Result<int> ErrnoOf(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<int>();
  if (!v.is_string()) return Status::InvalidArgument("errno: expected a name or a number");
  std::string name = v.get<std::string>();
  if (name == "lie") return 0;
  for (auto [n, e] : {std::pair{"EIO", EIO}, std::pair{"ENOSPC", ENOSPC}, std::pair{"EROFS", EROFS},
                      std::pair{"EDQUOT", EDQUOT}, std::pair{"EACCES", EACCES}}) {
    if (name == n) return e;
  }
  return Status::InvalidArgument("errno: unknown name '" + name +
                                 "' (EIO, ENOSPC, EROFS, EDQUOT, EACCES, lie or a number)");
}

// The request's "pgids": the process groups it is about; empty when absent (everyone).
Result<std::set<int>> PgidsOf(const nlohmann::json& r) {
  std::set<int> pgids;
  if (!r.contains("pgids")) return pgids;
  if (!r["pgids"].is_array()) return Status::InvalidArgument("pgids: expected an array");
  for (const auto& p : r["pgids"]) {
    if (!p.is_number_integer()) return Status::InvalidArgument("pgids: expected integers");
    pgids.insert(p.get<int>());
  }
  if (pgids.empty()) return Status::InvalidArgument("pgids: empty (omit it to mean everyone)");
  return pgids;
}

Result<nlohmann::json> Dispatch(FaultFs* fs, const nlohmann::json& r) {
  const std::string op = r.value("op", "");
  if (op == "lose-unsynced") {
    ASSIGN_OR_RETURN(std::set<int> pgids, PgidsOf(r));
    LossReport l = fs->LoseUnsynced(pgids, r.value("torn", false));
    return nlohmann::json{{"writes_undone", l.writes_undone},
                          {"bytes_dropped", l.bytes_dropped},
                          {"entries_undone", l.entries_undone},
                          {"torn", l.torn}};
  }
  if (op == "error") {
    ErrorRule rule;
    rule.pattern = r.value("pattern", "*");
    if (r.contains("ops")) {
      for (const auto& o : r["ops"]) rule.ops.insert(o.get<std::string>());
    }
    if (r.contains("errno")) {
      ASSIGN_OR_RETURN(rule.err, ErrnoOf(r["errno"]));
    }
    ASSIGN_OR_RETURN(rule.pgids, PgidsOf(r));
    if (rule.err == 0 && rule.ops != std::set<std::string>{"fsync"}) {
      return Status::InvalidArgument(
          "errno 0 (succeed without syncing: a disk that lies) needs \"ops\": [\"fsync\"]");
    }
    rule.count = r.value("count", int64_t{-1});
    rule.probability = r.value("probability", 1.0);
    fs->AddErrorRule(std::move(rule));
    return nlohmann::json::object();
  }
  if (op == "clear-errors") {
    fs->ClearErrorRules();
    return nlohmann::json::object();
  }
  if (op == "slow") {
    ASSIGN_OR_RETURN(std::set<int> pgids, PgidsOf(r));
    fs->SetSlowFsync(r.value("fsync_ms", int64_t{0}), std::move(pgids));
    return nlohmann::json::object();
  }
  if (op == "status") return fs->Status();
  return Status::InvalidArgument("unknown op '" + op +
                                 "' (lose-unsynced, error, clear-errors, slow, status)");
}

// A UNIX socket address for `path`. sun_path holds 107 bytes, less than a run directory
// nested in a store may need; a longer path is reached through its directory, opened here and
// named as /proc/self/fd/N/<name> (the socket stays in the run directory).
class SocketAddress {
 public:
  static Result<SocketAddress> Of(const std::string& path) {
    SocketAddress a;
    std::string name = path;
    if (path.size() >= sizeof(a.sa_.sun_path)) {
      const size_t slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
      a.dir_fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (a.dir_fd_ < 0) return Status::IoError("open the directory of socket " + path, errno);
      name = "/proc/self/fd/" + std::to_string(a.dir_fd_) + "/" + path.substr(slash + 1);
      if (name.size() >= sizeof(a.sa_.sun_path))
        return Status::InvalidArgument("control socket name too long: " + path);
    }
    a.sa_.sun_family = AF_UNIX;
    std::memcpy(a.sa_.sun_path, name.c_str(), name.size() + 1);
    return a;
  }
  SocketAddress(SocketAddress&& o) noexcept : sa_(o.sa_), dir_fd_(std::exchange(o.dir_fd_, -1)) {}
  SocketAddress(const SocketAddress&) = delete;
  SocketAddress& operator=(const SocketAddress&) = delete;
  ~SocketAddress() {
    if (dir_fd_ >= 0) ::close(dir_fd_);
  }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&sa_); }
  socklen_t size() const { return sizeof(sa_); }

 private:
  SocketAddress() = default;
  sockaddr_un sa_{};
  int dir_fd_ = -1;
};

}  // namespace

nlohmann::json HandleControl(FaultFs* fs, const nlohmann::json& request) {
  nlohmann::json reply;
  try {
    auto r = Dispatch(fs, request);
    if (!r.ok()) return {{"ok", false}, {"error", r.status().message()}};
    reply = std::move(*r);
  } catch (const nlohmann::json::exception& e) {
    return {{"ok", false}, {"error", std::string("bad request: ") + e.what()}};
  }
  reply["ok"] = true;
  return reply;
}

ControlServer::~ControlServer() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status ControlServer::Listen(const std::string& path) {
  ASSIGN_OR_RETURN(SocketAddress address, SocketAddress::Of(path));
  ::unlink(path.c_str());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::IoError("socket", errno);
  if (::bind(fd_, address.get(), address.size()) != 0 || ::listen(fd_, 16) != 0)
    return Status::IoError("listen on " + path, errno);
  path_ = path;
  return Status::Ok();
}

void ControlServer::Serve() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    std::string in;
    char buf[4096];
    while (!stop_.load()) {
      ssize_t n = ::read(conn, buf, sizeof(buf));
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = in.find('\n')) != std::string::npos) {
        auto request = nlohmann::json::parse(in.substr(0, nl), nullptr, false);
        in.erase(0, nl + 1);
        nlohmann::json reply = request.is_object()
                                   ? HandleControl(fs_, request)
                                   : nlohmann::json{{"ok", false}, {"error", "not a JSON object"}};
        std::string line = reply.dump() + "\n";
        if (::write(conn, line.data(), line.size()) < 0) break;
      }
    }
    ::close(conn);
  }
}

Result<nlohmann::json> CallControl(const std::string& socket_path, const nlohmann::json& request,
                                   Deadline deadline) {
  ASSIGN_OR_RETURN(SocketAddress address, SocketAddress::Of(socket_path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError("socket", errno);
  Status status;
  std::string reply;
  if (::connect(fd, address.get(), address.size()) != 0) {
    status = Status::IoError("connect to faultfs at " + socket_path, errno);
  } else {
    std::string line = request.dump() + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      status = Status::IoError("write to faultfs", errno);
    }
    char buf[4096];
    while (status.ok() && reply.find('\n') == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, deadline.RemainingMillis()))) <= 0) {
        status = Status::Timeout("no answer from faultfs at " + socket_path);
        break;
      }
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) {
        status = Status::Unavailable("faultfs at " + socket_path + " closed the connection");
        break;
      }
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  RETURN_IF_ERROR(status);
  auto j = nlohmann::json::parse(reply.substr(0, reply.find('\n')), nullptr, false);
  if (!j.is_object()) return Status::Corruption("faultfs answered: " + reply);
  if (!j.value("ok", false))
    return Status::Internal("faultfs: " + j.value("error", std::string("request failed")));
  return j;
}

}  // namespace faultline::faultfs
