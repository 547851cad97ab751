#include "base/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <utility>

namespace faultline {
namespace {

constexpr int kFirstPickedPort = 10000;  // below: ports that well-known services may use

int PollMillis(const Deadline& deadline) {
  int64_t ms = (deadline.RemainingNanos() + 999'999) / 1'000'000;
  return static_cast<int>(ms > 1'000'000 ? 1'000'000 : ms);
}

// Starts a non-blocking connect of `fd` to `sa`; true when it is still in progress.
Result<bool> ConnectFd(int fd, const sockaddr_in& sa) {
  SetNoDelay(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0) return false;
  if (errno != EINPROGRESS) return Status::IoError("connect " + FormatAddress(sa), errno);
  return true;
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.Release();
  }
  return *this;
}

void Fd::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Fd::Abort() {
  if (fd_ < 0) return;
  linger lg{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  Close();
}

Result<sockaddr_in> ParseAddress(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("address '" + std::string(address) + "': expected HOST:PORT");
  }
  std::string host(address.substr(0, colon));
  std::string_view port_text = address.substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status::InvalidArgument("address '" + std::string(address) + "': bad port");
  }
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument("address '" + std::string(address) +
                                   "': host must be an IPv4 address");
  }
  return sa;
}

std::string FormatAddress(const sockaddr_in& sa) {
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
  return std::string(host) + ":" + std::to_string(ntohs(sa.sin_port));
}

Result<Fd> NewTcpSocket() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Status::IoError("socket", errno);
  return fd;
}

Status BindAndListen(int fd, const std::string& address) {
  ASSIGN_OR_RETURN(sockaddr_in sa, ParseAddress(address));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return Status::IoError("bind " + address, errno);
  }
  if (::listen(fd, 128) != 0) return Status::IoError("listen " + address, errno);
  return Status::Ok();
}

Result<Fd> ListenTcp(const std::string& address) {
  ASSIGN_OR_RETURN(Fd fd, NewTcpSocket());
  RETURN_IF_ERROR(BindAndListen(fd.get(), address));
  return fd;
}

Result<std::string> LocalAddress(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return Status::IoError("getsockname", errno);
  }
  return FormatAddress(sa);
}

int LocalPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return -1;
  return ntohs(sa.sin_port);
}

std::pair<int, int> EphemeralPortRange() {
  std::pair<int, int> range = {32768, 60999};  // Linux's default
  FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  if (f != nullptr) {
    if (std::fscanf(f, "%d %d", &range.first, &range.second) != 2) range = {32768, 60999};
    std::fclose(f);
  }
  return range;
}

Result<int> PickFreePort() {
  // Port 0 would give a port of the ephemeral range, which the kernel also hands to every
  // outgoing connection: one made between this pick and the node's bind takes the port
  // (EADDRINUSE, seen in a soak under load). Pick outside that range instead, and never the
  // same port twice in a process: a picked port stays free until its node binds it, so a free
  // port may already be another node's (also seen). The choice does not change what a run
  // does, so it is not drawn from the run's seeded RNG.
  static std::mutex mu;
  static std::minstd_rand rng(static_cast<uint32_t>(std::random_device{}()));
  static std::set<int> handed_out;
  const auto [low, high] = EphemeralPortRange();
  const bool below = low - kFirstPickedPort >= 65535 - high;
  const int first = below ? kFirstPickedPort : high + 1;
  const int count = below ? low - kFirstPickedPort : 65535 - high;
  std::lock_guard<std::mutex> lock(mu);
  if (handed_out.size() * 2 > static_cast<size_t>(std::max(count, 0))) handed_out.clear();
  for (int attempt = 0; count > 0 && attempt < 100; ++attempt) {
    int port = first + static_cast<int>(rng() % static_cast<uint32_t>(count));
    if (handed_out.count(port) == 0 && ListenTcp("127.0.0.1:" + std::to_string(port)).ok()) {
      handed_out.insert(port);
      return port;
    }
  }
  ASSIGN_OR_RETURN(Fd fd, ListenTcp("127.0.0.1:0"));  // all tried were taken: any free one
  return LocalPort(fd.get());
}

Result<Fd> StartConnect(const sockaddr_in& sa, bool* in_progress) {
  ASSIGN_OR_RETURN(Fd fd, NewTcpSocket());
  ASSIGN_OR_RETURN(*in_progress, ConnectFd(fd.get(), sa));
  return fd;
}

Result<Fd> ConnectTcp(const std::string& address, Deadline deadline, Fd socket) {
  ASSIGN_OR_RETURN(sockaddr_in sa, ParseAddress(address));
  if (!socket.valid()) {
    ASSIGN_OR_RETURN(socket, NewTcpSocket());
  }
  SetNonBlocking(socket.get(), true);
  ASSIGN_OR_RETURN(bool in_progress, ConnectFd(socket.get(), sa));
  if (in_progress) {
    if (!WaitFor(socket.get(), POLLOUT, deadline)) return Status::Timeout("connect " + address);
    int err = SocketError(socket.get());
    if (err != 0) return Status::IoError("connect " + address, err);
  }
  return socket;
}

Result<Fd> AcceptOne(int listen_fd, bool non_blocking) {
  int flags = SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0);
  Fd fd(::accept4(listen_fd, nullptr, nullptr, flags));
  if (!fd.valid()) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
      return Fd();
    }
    return Status::IoError("accept", errno);
  }
  SetNoDelay(fd.get());
  return fd;
}

int SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void SetNonBlocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

void SetNoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

bool WaitFor(int fd, short events, Deadline deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, PollMillis(deadline));
    if (r > 0) return true;
    if (r < 0 && errno == EINTR) continue;
    if (deadline.Expired()) return false;
  }
}

}  // namespace faultline
