#pragma once

#include <netinet/in.h>

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"

namespace faultline::faults {

// Small TCP helpers for the link proxy and its tests. The runtime has its own (runtime/net.h),
// which faults/ must not link (DESIGN.md section 1), so this is deliberately minimal: IPv4
// only, every socket close-on-exec. Stateless functions are thread-safe.

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

// Parses "a.b.c.d:port" ("localhost" means 127.0.0.1).
Result<sockaddr_in> ParseAddress(std::string_view address);
std::string FormatAddress(const sockaddr_in& sa);

// A new non-blocking, close-on-exec IPv4 TCP socket (in the calling thread's network namespace).
Result<Fd> NewTcpSocket();
// Binds `fd` to `address` (SO_REUSEADDR) and listens.
Status BindAndListen(int fd, const std::string& address);
// A non-blocking listening socket on `address` (port 0: a free port), SO_REUSEADDR.
Result<Fd> ListenTcp(const std::string& address);
// "127.0.0.1:PORT" of a bound socket.
Result<std::string> LocalAddress(int fd);

// Starts a non-blocking connect to `sa`. `*in_progress` tells whether the caller must wait for
// writability and then check SocketError(). TCP_NODELAY is set.
Result<Fd> StartConnect(const sockaddr_in& sa, bool* in_progress);
// Connects within the deadline and returns a BLOCKING socket with TCP_NODELAY (tests, tools).
// Uses `socket` (from NewTcpSocket, say in another network namespace) when it is valid.
Result<Fd> ConnectBlocking(const std::string& address, Deadline deadline, Fd socket = Fd());
// Accepts one pending connection: an invalid Fd when none is waiting. The socket is
// non-blocking with TCP_NODELAY when `non_blocking`, blocking otherwise.
Result<Fd> AcceptOne(int listen_fd, bool non_blocking);

// The pending error of a socket (SO_ERROR), 0 if none.
int SocketError(int fd);
void SetNonBlocking(int fd, bool on);

// Blocking helpers with a deadline over a socket in either mode (tests, tools).
// WriteAll: Timeout when the deadline passes first, IoError on a socket error.
Status WriteAll(int fd, std::string_view data, Deadline deadline);
// Reads exactly `n` bytes into `out` (appending). Unavailable on EOF before `n` bytes.
Status ReadExactly(int fd, size_t n, std::string* out, Deadline deadline);
// Reads until EOF. IoError on a reset; Timeout at the deadline (what was read is kept).
Status ReadToEof(int fd, std::string* out, Deadline deadline);
// Waits for `events` (POLLIN/POLLOUT) on `fd`; false at the deadline.
bool WaitFor(int fd, short events, Deadline deadline);

}  // namespace faultline::faults
