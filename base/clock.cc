#include "base/clock.h"

#include <time.h>

#include <cstdio>
#include <thread>

namespace faultline {

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t WallMillis() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

int64_t Deadline::RemainingNanos() const {
  int64_t left = at_ns_ - MonotonicNanos();
  return left > 0 ? left : 0;
}

void SleepMillis(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string UtcTimestamp(bool compact) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char buf[64];
  std::snprintf(
      buf, sizeof(buf),
      compact ? "%04d%02d%02dT%02d%02d%02d-%03ld" : "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
      utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
      ts.tv_nsec / 1'000'000);
  return buf;
}

}  // namespace faultline
