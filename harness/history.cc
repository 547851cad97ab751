#include "harness/history.h"

#include "base/clock.h"

namespace faultline::harness {

Status HistoryWriter::Open() {
  ASSIGN_OR_RETURN(AppendFile f, AppendFile::Open(path_));
  std::lock_guard<std::mutex> lock(mu_);
  file_ = std::make_unique<AppendFile>(std::move(f));
  return Status::Ok();
}

int64_t HistoryWriter::Now() const { return MonotonicNanos() - start_ns_; }

void HistoryWriter::Write(nlohmann::json event, int64_t at_mono_ns) {
  int64_t t = (at_mono_ns >= 0 ? at_mono_ns : MonotonicNanos()) - start_ns_;
  nlohmann::json line = {{"t", t}};
  for (auto& [k, v] : event.items()) line[k] = std::move(v);
  WriteLine(line.dump());
}

void HistoryWriter::WriteLine(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= (1u << 16) && file_ && status_.ok()) {
    status_ = file_->Append(buffer_);
    buffer_.clear();
  }
}

Status HistoryWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_) return Status::Internal("history not open");
  if (status_.ok() && !buffer_.empty()) status_ = file_->Append(buffer_);
  buffer_.clear();
  if (status_.ok()) status_ = file_->Sync();
  return status_;
}

Status HistoryWriter::Close() {
  RETURN_IF_ERROR(Flush());
  std::lock_guard<std::mutex> lock(mu_);
  Status s = file_->Close();
  file_.reset();
  return s;
}

Status HistoryWriter::status() {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

}  // namespace faultline::harness
