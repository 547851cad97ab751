#include "faults/test_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace faultline::faults {

Result<std::unique_ptr<TestServer>> TestServer::Start(Mode mode) {
  ASSIGN_OR_RETURN(Fd listen, ListenTcp("127.0.0.1:0"));
  return StartOn(mode, std::move(listen));
}

Result<std::unique_ptr<TestServer>> TestServer::StartOn(Mode mode, Fd listen) {
  SetNonBlocking(listen.get(), true);
  ASSIGN_OR_RETURN(std::string address, LocalAddress(listen.get()));
  Fd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return Status::IoError("eventfd", errno);
  std::unique_ptr<TestServer> server(
      new TestServer(mode, std::move(listen), std::move(wake), address));
  TestServer* raw = server.get();
  server->thread_ = std::thread([raw] { raw->Run(); });
  return server;
}

TestServer::~TestServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof(one));
  thread_.join();
}

void TestServer::Run() {
  std::vector<pollfd> fds;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({listen_.get(), POLLIN, 0});
    for (auto& c : conns_) {
      short ev = c->closed ? 0 : static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT));
      fds.push_back({ev != 0 ? c->fd.get() : -1, ev, 0});
    }
    lock.unlock();
    int r = ::poll(fds.data(), fds.size(), -1);
    lock.lock();
    if (stop_ || r <= 0) continue;
    if (fds[0].revents != 0) {
      uint64_t v;
      [[maybe_unused]] ssize_t n = ::read(wake_.get(), &v, sizeof(v));
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents != 0) Serve(*conns_[i - 2], fds[i].revents);
    }
    if (fds[1].revents != 0) {
      while (true) {
        Result<Fd> fd = AcceptOne(listen_.get(), /*non_blocking=*/true);
        if (!fd.ok() || !fd->valid()) break;
        conns_.push_back(std::make_unique<Conn>());
        conns_.back()->fd = std::move(*fd);
      }
    }
    cv_.notify_all();
  }
}

void TestServer::Serve(Conn& c, short revents) {
  if (revents & POLLOUT) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) c.out.erase(0, static_cast<size_t>(n));
  }
  if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
  char buf[1 << 16];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
  if (n > 0) {
    c.in.append(buf, static_cast<size_t>(n));
    if (mode_ == Mode::kEcho) c.out.append(buf, static_cast<size_t>(n));
  } else if (n == 0) {
    c.closed = true;
    c.fd.Close();
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    c.closed = true;
    c.error = errno;
    c.fd.Close();
  }
}

size_t TestServer::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conns_.size();
}

bool TestServer::WaitReceived(size_t i, size_t n, Deadline deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::nanoseconds(deadline.RemainingNanos()),
                      [&] { return i < conns_.size() && conns_[i]->in.size() >= n; });
}

bool TestServer::WaitClosed(size_t i, Deadline deadline, int* error) const {
  std::unique_lock<std::mutex> lock(mu_);
  bool ok = cv_.wait_for(lock, std::chrono::nanoseconds(deadline.RemainingNanos()),
                         [&] { return i < conns_.size() && conns_[i]->closed; });
  if (ok) *error = conns_[i]->error;
  return ok;
}

std::string TestServer::received(size_t i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return i < conns_.size() ? conns_[i]->in : std::string();
}

}  // namespace faultline::faults
