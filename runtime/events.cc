#include "runtime/events.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "base/clock.h"
#include "base/file.h"

namespace faultline::runtime {

EventLog::~EventLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status EventLog::Open(const std::string& path, std::string node) {
  std::lock_guard<std::mutex> lock(mu_);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("open " + path, errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  node_ = std::move(node);
  return Status::Ok();
}

void EventLog::Emit(const std::string& event, nlohmann::json fields) {
  nlohmann::json line = nlohmann::json::object();
  line["mono_ns"] = MonotonicNanos();
  line["wall_ms"] = WallMillis();
  std::lock_guard<std::mutex> lock(mu_);
  line["node"] = node_;
  line["event"] = event;
  for (auto& [k, v] : fields.items()) line[k] = v;
  std::string text = line.dump() + "\n";
  if (fd_ >= 0) {
    // Events are diagnostics: a failed write must not take the node down.
    [[maybe_unused]] ssize_t n = ::write(fd_, text.data(), text.size());
  }
}

std::vector<nlohmann::json> ReadEventLog(const std::string& data_dir) {
  std::vector<nlohmann::json> events;
  std::ifstream in(JoinPath(data_dir, "events.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("mono_ns") ||
        !j["mono_ns"].is_number_integer())
      continue;
    events.push_back(std::move(j));
  }
  return events;
}

}  // namespace faultline::runtime
