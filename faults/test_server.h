#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "faults/sockets.h"

namespace faultline::faults {

// A TCP server on 127.0.0.1:<free port> for tests. It accepts every connection and records
// what each one receives, and how it ended (EOF or an errno); in echo mode it also writes every
// byte back. Connections are numbered in accept order from 0. Tests only.
// Thread-safe: the server runs on its own thread; every method may be called from any thread.
class TestServer {
 public:
  enum class Mode { kSink, kEcho };

  static Result<std::unique_ptr<TestServer>> Start(Mode mode);
  // Serves on `listen`, a listening socket made elsewhere (in another network namespace, say).
  static Result<std::unique_ptr<TestServer>> StartOn(Mode mode, Fd listen);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  const std::string& address() const { return address_; }
  size_t connections() const;
  // Waits until connection `i` exists and has received at least `n` bytes.
  bool WaitReceived(size_t i, size_t n, Deadline deadline) const;
  // Waits until connection `i` has ended; `*error` is 0 for an EOF, else the errno.
  bool WaitClosed(size_t i, Deadline deadline, int* error) const;
  // What connection `i` has received so far ("" if there is no such connection).
  std::string received(size_t i) const;

 private:
  struct Conn {
    Fd fd;
    std::string in;
    std::string out;  // echo bytes not yet written
    bool closed = false;
    int error = 0;
  };

  TestServer(Mode mode, Fd listen, Fd wake, std::string address)
      : mode_(mode), listen_(std::move(listen)), wake_(std::move(wake)), address_(address) {}
  void Run();
  void Serve(Conn& c, short revents);

  const Mode mode_;
  Fd listen_;
  Fd wake_;
  const std::string address_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::thread thread_;
};

}  // namespace faultline::faults
