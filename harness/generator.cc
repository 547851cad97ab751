#include "harness/generator.h"

#include <algorithm>
#include <vector>

#include "base/clock.h"
#include "runtime/input_log.h"

namespace faultline::harness {

using runtime::InputLogWriter;
using runtime::InputRecord;

Generator::Generator(const WorkloadSpec& spec, Rng rng, std::string input_dir, int partitions,
                     HistoryWriter* history)
    : spec_(spec),
      rng_(rng),
      input_dir_(std::move(input_dir)),
      partitions_(partitions),
      history_(history) {}

Generator::~Generator() { (void)Stop(); }

Status Generator::Start() {
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

Status Generator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return status_;
}

void Generator::Loop() {
  auto writer = InputLogWriter::Open(input_dir_, partitions_);
  if (!writer.ok()) {
    status_ = writer.status();
    return;
  }
  std::optional<ZipfDistribution> zipf;
  if (spec_.distribution == "zipf") zipf.emplace(spec_.keys, spec_.zipf_exponent);
  const int64_t start_ns = MonotonicNanos();
  const int64_t wall_at_start = WallMillis();
  const double ns_per_record = 1e9 / static_cast<double>(spec_.rate);
  uint64_t next = 0;
  struct Pending {
    uint64_t id;
    std::string key;
    int partition;
    uint64_t offset;
    int64_t event_time;
    int64_t intended_ns;
  };
  std::vector<Pending> batch;
  while (!stop_.load()) {
    int64_t now = MonotonicNanos();
    // Everything due by now is sent now; a batch is at most 10 ms of load.
    auto due = static_cast<uint64_t>(static_cast<double>(now - start_ns) / ns_per_record) + 1;
    batch.clear();
    for (; next < due && batch.size() < static_cast<size_t>(std::max<int64_t>(1, spec_.rate / 100));
         ++next) {
      int64_t intended_ns =
          start_ns + static_cast<int64_t>(static_cast<double>(next) * ns_per_record);
      InputRecord r;
      r.id = next;
      uint64_t k = zipf ? (*zipf)(rng_) : rng_.Uniform(static_cast<uint64_t>(spec_.keys));
      r.key = "k" + std::to_string(k);
      int64_t disorder =
          spec_.event_time_disorder_ms > 0 ? rng_.Range(0, spec_.event_time_disorder_ms) : 0;
      r.event_time = wall_at_start + (intended_ns - start_ns) / 1'000'000 - disorder;
      int partition = runtime::PartitionOf(r.id, partitions_);
      auto offset = writer->Append(r, partition);
      if (!offset.ok()) {
        status_ = offset.status();
        return;
      }
      batch.push_back({r.id, r.key, partition, *offset, r.event_time, intended_ns});
    }
    if (!batch.empty()) {
      Status s = writer->Sync();
      if (!s.ok()) {
        status_ = s;
        return;
      }
      int64_t acked_ns = MonotonicNanos();
      int64_t t = acked_ns - history_->start_ns();
      for (const Pending& p : batch) {
        nlohmann::json j = {{"t", t},
                            {"type", "input"},
                            {"id", p.id},
                            {"key", p.key},
                            {"partition", p.partition},
                            {"offset", p.offset},
                            {"event_time", p.event_time},
                            {"value", 1},
                            {"intended", p.intended_ns - history_->start_ns()}};
        history_->WriteLine(j.dump());
      }
      acknowledged_ += static_cast<int64_t>(batch.size());
      int64_t lag_ms = (acked_ns - batch.front().intended_ns) / 1'000'000;
      if (lag_ms > max_lag_ms_.load()) max_lag_ms_ = lag_ms;
    }
    if (next >= due) {
      int64_t next_due_ns =
          start_ns + static_cast<int64_t>(static_cast<double>(next) * ns_per_record);
      int64_t wait_ms = (next_due_ns - MonotonicNanos()) / 1'000'000;
      if (wait_ms > 0) SleepMillis(std::min<int64_t>(wait_ms, 20));
    }
  }
  status_ = writer->Sync();
}

Status Generator::AppendFinalWatermarks() {
  ASSIGN_OR_RETURN(InputLogWriter writer, InputLogWriter::Open(input_dir_, partitions_));
  for (int p = 0; p < partitions_; ++p) {
    InputRecord m;
    m.kind = InputRecord::Kind::kWatermark;
    m.event_time = INT64_MAX / 2;
    RETURN_IF_ERROR(writer.Append(m, p).status());
  }
  return writer.Sync();
}

}  // namespace faultline::harness
