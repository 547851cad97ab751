#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace faultline {

// Minimal line logging to stderr: "2026-11-22T10:00:00.123Z I coordinator: message".
// Each line is written with one write(2), so lines from threads do not interleave.
enum class LogLevel { kDebug, kInfo, kWarning, kError };

void SetLogTag(std::string_view tag);  // the node or tool name printed on every line
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, std::string_view msg);

namespace internal {
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() {
    if (LogEnabled(level_)) LogLine(level_, stream_.str());
  }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace faultline

// A single expression, so that `if (x) FL_LOG(Info) << ...;` has no dangling else.
#define FL_LOG(level) ::faultline::internal::LogMessage(::faultline::LogLevel::k##level).stream()
