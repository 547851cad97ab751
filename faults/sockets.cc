#include "faults/sockets.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace faultline::faults {

Result<Fd> ConnectBlocking(const std::string& address, Deadline deadline, Fd socket) {
  ASSIGN_OR_RETURN(Fd fd, ConnectTcp(address, deadline, std::move(socket)));
  SetNonBlocking(fd.get(), false);
  return fd;
}

Status WriteAll(int fd, std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    if (!WaitFor(fd, POLLOUT, deadline)) return Status::Timeout("write");
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Status::IoError("write", errno);
    }
  }
  return Status::Ok();
}

Status ReadExactly(int fd, size_t n, std::string* out, Deadline deadline) {
  char buf[1 << 16];
  while (n > 0) {
    if (!WaitFor(fd, POLLIN, deadline)) return Status::Timeout("read");
    ssize_t r = ::recv(fd, buf, n < sizeof(buf) ? n : sizeof(buf), MSG_DONTWAIT);
    if (r > 0) {
      out->append(buf, static_cast<size_t>(r));
      n -= static_cast<size_t>(r);
    } else if (r == 0) {
      return Status::Unavailable("read: EOF with " + std::to_string(n) + " bytes missing");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Status::IoError("read", errno);
    }
  }
  return Status::Ok();
}

Status ReadToEof(int fd, std::string* out, Deadline deadline) {
  char buf[1 << 16];
  while (true) {
    if (!WaitFor(fd, POLLIN, deadline)) return Status::Timeout("read to EOF");
    ssize_t r = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r > 0) {
      out->append(buf, static_cast<size_t>(r));
    } else if (r == 0) {
      return Status::Ok();
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Status::IoError("read", errno);
    }
  }
}

}  // namespace faultline::faults
