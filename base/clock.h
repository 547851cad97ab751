#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace faultline {

// Monotonic time in nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC): never jumps with
// wall-clock changes, so it is what every timeout and latency uses. Thread-safe.
int64_t MonotonicNanos();
inline int64_t MonotonicMillis() { return MonotonicNanos() / 1'000'000; }

// Wall-clock milliseconds since the Unix epoch, for names and human-facing timestamps only.
int64_t WallMillis();
// The wall clock now in UTC to the millisecond, as "%Y-%m-%dT%H:%M:%S.mmmZ" (logs), or with
// `compact` as "%Y%m%dT%H%M%S-mmm" (directory names).
std::string UtcTimestamp(bool compact = false);

// Deadline is a point in monotonic time; every wait in Faultline takes one.
// A value type; thread-compatible.
class Deadline {
 public:
  static Deadline After(std::chrono::nanoseconds d) {
    return Deadline(MonotonicNanos() + d.count());
  }
  static Deadline AfterMillis(int64_t ms) { return Deadline(MonotonicNanos() + ms * 1'000'000); }
  static Deadline Never() { return Deadline(INT64_MAX); }

  bool Expired() const { return MonotonicNanos() >= at_ns_; }
  // Remaining time, clamped at zero.
  int64_t RemainingNanos() const;
  int64_t RemainingMillis() const { return RemainingNanos() / 1'000'000; }
  int64_t at_ns() const { return at_ns_; }

 private:
  explicit Deadline(int64_t at_ns) : at_ns_(at_ns) {}
  int64_t at_ns_;
};

// Stopwatch measures monotonic elapsed time from its construction or last Reset().
class Stopwatch {
 public:
  Stopwatch() : start_ns_(MonotonicNanos()) {}
  void Reset() { start_ns_ = MonotonicNanos(); }
  int64_t ElapsedNanos() const { return MonotonicNanos() - start_ns_; }
  int64_t ElapsedMillis() const { return ElapsedNanos() / 1'000'000; }
  double ElapsedSeconds() const { return static_cast<double>(ElapsedNanos()) / 1e9; }

 private:
  int64_t start_ns_;
};

// Calls `done()` until it returns true or the deadline passes, backing off from 1 ms up to
// `max_poll_ms` between calls. Returns whether `done()` became true. For conditions that live in
// another process (a file appears, a port opens) and so cannot be waited on directly.
template <typename Pred>
bool PollUntil(Pred done, Deadline deadline, int64_t max_poll_ms = 50);

void SleepMillis(int64_t ms);

template <typename Pred>
bool PollUntil(Pred done, Deadline deadline, int64_t max_poll_ms) {
  int64_t pause_ms = 1;
  while (true) {
    if (done()) return true;
    if (deadline.Expired()) return false;
    int64_t remaining = deadline.RemainingMillis();
    SleepMillis(pause_ms < remaining ? pause_ms : (remaining > 0 ? remaining : 1));
    pause_ms = pause_ms * 2 > max_poll_ms ? max_poll_ms : pause_ms * 2;
  }
}

}  // namespace faultline
