#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace faultline::runtime {

// NotifyQueue is a thread-safe FIFO whose fd() becomes readable when items are waiting, so
// that a thread can poll() it together with its sockets. Any number of producers, one consumer.
template <typename T>
class NotifyQueue {
 public:
  NotifyQueue() : efd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~NotifyQueue() {
    if (efd_ >= 0) ::close(efd_);
  }
  NotifyQueue(const NotifyQueue&) = delete;
  NotifyQueue& operator=(const NotifyQueue&) = delete;

  void Push(T item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(item));
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(efd_, &one, sizeof(one));
  }

  // Everything queued so far, oldest first; resets fd() readiness.
  std::vector<T> Drain() {
    uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(efd_, &count, sizeof(count));
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<T> out;
    out.reserve(items_.size());
    for (auto& item : items_) out.push_back(std::move(item));
    items_.clear();
    return out;
  }

  int fd() const { return efd_; }

 private:
  int efd_;
  std::mutex mu_;
  std::deque<T> items_;  // guarded by mu_
};

}  // namespace faultline::runtime
