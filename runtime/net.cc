#include "runtime/net.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/record_log.h"

namespace faultline::runtime {

Result<Socket> Listen(const std::string& address) { return ListenTcp(address); }

Result<Socket> Connect(const std::string& address, Deadline deadline) {
  return ConnectTcp(address, deadline);
}

Result<std::optional<Socket>> Accept(int listen_fd) {
  ASSIGN_OR_RETURN(Socket s, AcceptOne(listen_fd, /*non_blocking=*/true));
  if (!s.valid()) return std::optional<Socket>();
  return std::optional<Socket>(std::move(s));
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
    ssize_t n = ::read(socket_.get(), buf, sizeof(buf));
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
    poisoned_ = Status::Corruption(
        "frame from " + peer_ + ": " +
        (f.status == FrameStatus::kCorrupt ? f.reason : std::string("empty payload")));
    return poisoned_;
  }
  Frame frame{static_cast<FrameType>(f.payload[0]), std::string(f.payload.substr(1))};
  in_pos_ += f.frame_size;
  return std::optional<Frame>(std::move(frame));
}

Status FrameConn::FlushSome() {
  if (!socket_.valid()) return Status::Unavailable("connection to " + peer_ + " is closed");
  while (out_pos_ < out_.size()) {
    ssize_t n = ::send(socket_.get(), out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
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
