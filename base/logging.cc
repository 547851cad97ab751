#include "base/logging.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "base/clock.h"

namespace faultline {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_tag_mu;
std::string g_tag = "faultline";  // guarded by g_tag_mu

char LevelChar(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarning:
      return 'W';
    case LogLevel::kError:
      return 'E';
  }
  return '?';
}

}  // namespace

void SetLogTag(std::string_view tag) {
  std::lock_guard<std::mutex> lock(g_tag_mu);
  g_tag = tag;
}

void SetMinLogLevel(LogLevel level) { g_min_level = static_cast<int>(level); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(); }

void LogLine(LogLevel level, std::string_view msg) {
  std::string stamp = UtcTimestamp();
  std::string line;
  {
    std::lock_guard<std::mutex> lock(g_tag_mu);
    line = std::string(stamp) + " " + LevelChar(level) + " " + g_tag + ": ";
  }
  line.append(msg);
  line.push_back('\n');
  // One write so that concurrent lines stay whole; a failed log write has nowhere to go.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace faultline
