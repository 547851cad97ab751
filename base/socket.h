#pragma once

#include <netinet/in.h>

#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "base/status.h"

namespace faultline {

// TCP socket helpers shared by the runtime (runtime/net.h) and the fault injectors (faults/):
// an owning fd, "host:port" parsing, listen, connect with a deadline, accept. IPv4 only; every
// socket is close-on-exec. The functions are stateless and thread-safe.

// Fd owns a file descriptor and closes it. Move-only; thread-compatible.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.Release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Close();
  // Closes with SO_LINGER 0, so that the peer sees a RST (ECONNRESET) instead of an EOF.
  void Abort();

 private:
  int fd_ = -1;
};

// Parses "a.b.c.d:port" ("localhost" means 127.0.0.1); InvalidArgument otherwise.
Result<sockaddr_in> ParseAddress(std::string_view address);
std::string FormatAddress(const sockaddr_in& sa);

// A new non-blocking, close-on-exec IPv4 TCP socket (in the calling thread's network namespace).
Result<Fd> NewTcpSocket();
// Binds `fd` to `address` (SO_REUSEADDR) and listens.
Status BindAndListen(int fd, const std::string& address);
// A non-blocking listening socket on `address` (port 0: a free port), SO_REUSEADDR.
Result<Fd> ListenTcp(const std::string& address);
// "a.b.c.d:PORT" of a bound socket.
Result<std::string> LocalAddress(int fd);
// The local port of a bound socket, -1 on error.
int LocalPort(int fd);
// A free loopback port right now (for configs; another process may take it before it is used),
// outside the kernel's ephemeral range so that outgoing connections do not take it meanwhile,
// and never one this process was given before (it stays free until its user binds it).
Result<int> PickFreePort();
// The kernel's ephemeral port range (net.ipv4.ip_local_port_range), inclusive.
std::pair<int, int> EphemeralPortRange();

// Starts a non-blocking connect to `sa`. `*in_progress` tells whether the caller must wait for
// writability and then check SocketError(). TCP_NODELAY is set.
Result<Fd> StartConnect(const sockaddr_in& sa, bool* in_progress);
// Connects to `address` within the deadline (Timeout after it, IoError when refused) and returns
// a NON-BLOCKING socket with TCP_NODELAY. Uses `socket` (from NewTcpSocket, say created in
// another network namespace) when it is valid.
Result<Fd> ConnectTcp(const std::string& address, Deadline deadline, Fd socket = Fd());
// Accepts one pending connection: an invalid Fd when none is waiting. The socket has
// TCP_NODELAY, and is non-blocking when `non_blocking`, blocking otherwise.
Result<Fd> AcceptOne(int listen_fd, bool non_blocking);

// The pending error of a socket (SO_ERROR), 0 if none.
int SocketError(int fd);
void SetNonBlocking(int fd, bool on);
void SetNoDelay(int fd);
// Waits for `events` (POLLIN/POLLOUT) on `fd`; false at the deadline. Error and hangup count as
// ready (the next read or write reports them).
bool WaitFor(int fd, short events, Deadline deadline);

}  // namespace faultline
