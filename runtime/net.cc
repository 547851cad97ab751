#include "runtime/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/record_log.h"

namespace faultline::runtime {
namespace {

Result<sockaddr_in> Resolve(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("address '" + address + "': expected HOST:PORT");
  }
  std::string host = address.substr(0, colon);
  int port = std::atoi(address.c_str() + colon + 1);
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument("address '" + address + "': host must be an IPv4 address");
  }
  return sa;
}

void SetSocketOptions(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.Release();
  }
  return *this;
}

void Socket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<Socket> Listen(const std::string& address) {
  ASSIGN_OR_RETURN(sockaddr_in sa, Resolve(address));
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return Status::IoError("socket", errno);
  int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return Status::IoError("bind " + address, errno);
  }
  if (::listen(s.fd(), 128) != 0) return Status::IoError("listen " + address, errno);
  return s;
}

int LocalPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return -1;
  return ntohs(sa.sin_port);
}

Result<int> PickFreePort() {
  ASSIGN_OR_RETURN(Socket s, Listen("127.0.0.1:0"));
  return LocalPort(s.fd());
}

Result<Socket> Connect(const std::string& address, Deadline deadline) {
  ASSIGN_OR_RETURN(sockaddr_in sa, Resolve(address));
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return Status::IoError("socket", errno);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (errno != EINPROGRESS) return Status::IoError("connect " + address, errno);
    while (true) {
      int left = static_cast<int>(deadline.RemainingMillis());
      if (left <= 0) return Status::Timeout("connect " + address);
      pollfd p{s.fd(), POLLOUT, 0};
      int r = ::poll(&p, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return Status::Timeout("connect " + address);
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return Status::IoError("connect " + address, err);
      break;
    }
  }
  SetSocketOptions(s.fd());
  return s;
}

Result<std::optional<Socket>> Accept(int listen_fd) {
  int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
      return std::optional<Socket>();
    }
    return Status::IoError("accept", errno);
  }
  SetSocketOptions(fd);
  return std::optional<Socket>(Socket(fd));
}

bool WaitFd(int fd, bool for_write, int timeout_ms) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  int r = ::poll(&p, 1, timeout_ms);
  return r != 0;
}

FrameConn::FrameConn(Socket socket, std::string peer)
    : socket_(std::move(socket)), peer_(std::move(peer)) {}

Status FrameConn::ReadAvailable() {
  if (!poisoned_.ok()) return poisoned_;
  if (!socket_.valid()) return Status::Unavailable("connection to " + peer_ + " is closed");
  if (in_pos_ > 0 && in_pos_ * 2 >= in_.size()) {  // compact consumed bytes
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(socket_.fd(), buf, sizeof(buf));
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof(buf)) return Status::Ok();
      continue;
    }
    if (n == 0) return Status::Unavailable("connection closed by " + peer_);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
    return Status::IoError("read from " + peer_, errno);
  }
}

Result<std::optional<Frame>> FrameConn::NextFrame() {
  if (!poisoned_.ok()) return poisoned_;
  std::string_view data(in_);
  data.remove_prefix(in_pos_);
  if (data.empty()) return std::optional<Frame>();
  DecodedFrame f = DecodeLogFrame(data);
  if (f.status == FrameStatus::kIncomplete) return std::optional<Frame>();
  if (f.status == FrameStatus::kCorrupt || f.payload.empty()) {
    poisoned_ = Status::Corruption("frame from " + peer_ + ": " +
                                   (f.payload.empty() ? std::string("empty payload") : f.reason));
    return poisoned_;
  }
  Frame frame{static_cast<FrameType>(f.payload[0]), std::string(f.payload.substr(1))};
  in_pos_ += f.frame_size;
  return std::optional<Frame>(std::move(frame));
}

Status FrameConn::FlushSome() {
  if (!socket_.valid()) return Status::Unavailable("connection to " + peer_ + " is closed");
  while (out_pos_ < out_.size()) {
    ssize_t n = ::send(socket_.fd(), out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return Status::IoError("send to " + peer_, errno);
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > (1u << 20)) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  return Status::Ok();
}

Status FrameConn::FlushBlocking(Deadline deadline, const std::atomic<bool>* cancel) {
  while (true) {
    RETURN_IF_ERROR(FlushSome());
    if (!WantsWrite()) return Status::Ok();
    if (cancel != nullptr && cancel->load()) return Status::Aborted("cancelled");
    if (deadline.Expired()) return Status::Timeout("send to " + peer_);
    WaitFd(fd(), true, static_cast<int>(std::min<int64_t>(50, deadline.RemainingMillis() + 1)));
  }
}

Result<Frame> FrameConn::ReadFrameBlocking(Deadline deadline, const std::atomic<bool>* cancel) {
  while (true) {
    ASSIGN_OR_RETURN(std::optional<Frame> f, NextFrame());
    if (f) return std::move(*f);
    if (cancel != nullptr && cancel->load()) return Status::Aborted("cancelled");
    if (deadline.Expired()) return Status::Timeout("waiting for a frame from " + peer_);
    WaitFd(fd(), false, static_cast<int>(std::min<int64_t>(50, deadline.RemainingMillis() + 1)));
    RETURN_IF_ERROR(ReadAvailable());
  }
}

}  // namespace faultline::runtime
