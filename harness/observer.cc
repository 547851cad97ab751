#include "harness/observer.h"

#include "base/clock.h"

namespace faultline::harness {

Observer::Observer(std::string output_dir, bool uncommitted, HistoryWriter* history)
    : tailer_(std::move(output_dir), uncommitted), history_(history) {}

Observer::~Observer() { (void)Stop(); }

void Observer::Start() {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      Status s = PollOnce();
      if (!s.ok()) {
        status_ = s;
        return;
      }
      SleepMillis(20);
    }
  });
}

Status Observer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return status_;
}

Status Observer::FinalRead() { return PollOnce(); }

size_t Observer::delivered_ids() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_.size();
}

Status Observer::PollOnce() {
  std::vector<runtime::OutputEntry> entries;
  RETURN_IF_ERROR(tailer_.Poll(&entries));
  for (const auto& e : entries) Record(e);
  return Status::Ok();
}

void Observer::Record(const runtime::OutputEntry& e) {
  const runtime::OutputRecord& r = e.record;
  nlohmann::json j;
  if (r.kind == runtime::OutputRecord::Kind::kWindow) {
    j = {{"type", "window"},    {"key", r.key},     {"start", r.window_start},
         {"end", r.window_end}, {"count", r.count}, {"committed", e.committed}};
  } else {
    j = {{"type", "output"},
         {"id", r.id},
         {"key", r.key},
         {"count", r.count},
         {"committed", e.committed}};
  }
  j["file"] = e.file;
  history_->Write(std::move(j));
  if (e.committed) {
    ++committed_seen_;
    if (r.kind == runtime::OutputRecord::Kind::kCount) {
      std::lock_guard<std::mutex> lock(mu_);
      delivered_.insert(r.id);
    }
  }
}

}  // namespace faultline::harness
