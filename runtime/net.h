#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/socket.h"
#include "base/status.h"
#include "runtime/wire.h"

namespace faultline::runtime {

// A socket the runtime owns: base/socket.h's move-only fd owner (get(), valid(), Close()).
using Socket = ::faultline::Fd;

// Listens on "host:port" (port 0: any free port). Non-blocking, close-on-exec.
Result<Socket> Listen(const std::string& address);
using ::faultline::LocalPort;
// Connects to "host:port" within the deadline; the socket is non-blocking with TCP_NODELAY.
Result<Socket> Connect(const std::string& address, Deadline deadline);
// Accepts one pending connection if any (non-blocking): nullopt when none is waiting.
Result<std::optional<Socket>> Accept(int listen_fd);
using ::faultline::PickFreePort;

// FrameConn reads and writes runtime frames over a non-blocking socket, with an outgoing
// buffer so that an event loop never blocks on a slow or paused peer. A frame that fails its
// CRC poisons the connection (Corruption): the caller drops it. Thread-compatible; a task may
// use one from its own thread only.
class FrameConn {
 public:
  explicit FrameConn(Socket socket, std::string peer = "");

  int fd() const { return socket_.get(); }
  const std::string& peer() const { return peer_; }
  bool closed() const { return !socket_.valid(); }
  void Close() { socket_.Close(); }

  // Reads whatever the socket has now. Unavailable when the peer closed, IoError on error.
  Status ReadAvailable();
  // The next complete frame in the read buffer, if any.
  Result<std::optional<Frame>> NextFrame();

  // Appends a whole frame (from MakeFrame & co.) to the outgoing buffer.
  void Queue(std::string_view frame) { out_.append(frame); }
  void QueueFrame(FrameType type, std::string_view body) { Queue(MakeFrame(type, body)); }
  // Writes as much of the outgoing buffer as the socket takes now.
  Status FlushSome();
  bool WantsWrite() const { return out_pos_ < out_.size(); }
  size_t PendingOutBytes() const { return out_.size() - out_pos_; }

  // Blocks until the whole outgoing buffer is written, the deadline passes (Timeout) or
  // `*cancel` becomes true (Aborted). For task threads and short-lived tools.
  Status FlushBlocking(Deadline deadline, const std::atomic<bool>* cancel = nullptr);
  // Blocks until a frame arrives (same deadline and cancel rules).
  Result<Frame> ReadFrameBlocking(Deadline deadline, const std::atomic<bool>* cancel = nullptr);

 private:
  Socket socket_;
  std::string peer_;
  std::string in_;
  size_t in_pos_ = 0;
  std::string out_;
  size_t out_pos_ = 0;
  Status poisoned_;
};

// Waits until `fd` is readable (or writable with `for_write`) for at most `timeout_ms`.
// Returns true when ready (or on error/hangup, which the next read reports).
bool WaitFd(int fd, bool for_write, int timeout_ms);

}  // namespace faultline::runtime
