#include "harness/generator.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/clock.h"

namespace faultline::harness {

using systems::Record;
using systems::SendOutcome;
using systems::SendStatus;

Generator::Generator(const WorkloadSpec& spec, Rng rng, systems::Client* client,
                     HistoryWriter* history, DeliveryLedger* ledger)
    : spec_(spec), rng_(rng), client_(client), history_(history), ledger_(ledger) {}

Generator::~Generator() { (void)Stop(); }

Status Generator::Start() {
  thread_ = std::thread([this] {
    status_ = Loop();
    stopped_ = true;
  });
  return Status::Ok();
}

Status Generator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return status_;
}

Status Generator::Loop() {
  std::optional<ZipfDistribution> zipf;
  if (spec_.distribution == "zipf") zipf.emplace(spec_.keys, spec_.zipf_exponent);
  const int64_t start_ns = MonotonicNanos();
  const int64_t wall_at_start = WallMillis();
  const double ns_per_record = 1e9 / static_cast<double>(spec_.rate);
  // A batch is what is due, up to 100 ms of load: a client that waits for acknowledgements
  // (an MQTT publisher) catches up after a stall in a few large batches instead of falling
  // further behind one small batch per round trip.
  const size_t max_batch = static_cast<size_t>(std::max<int64_t>(1, spec_.rate / 10));
  uint64_t next = 0;
  std::vector<Record> batch;
  std::vector<int64_t> intended;
  while (!stop_.load()) {
    int64_t now = MonotonicNanos();
    // Everything due by now is sent now.
    auto due = static_cast<uint64_t>(static_cast<double>(now - start_ns) / ns_per_record) + 1;
    batch.clear();
    intended.clear();
    for (; next < due && batch.size() < max_batch; ++next) {
      int64_t intended_ns =
          start_ns + static_cast<int64_t>(static_cast<double>(next) * ns_per_record);
      Record r;
      r.id = next;
      uint64_t k = zipf ? (*zipf)(rng_) : rng_.Uniform(static_cast<uint64_t>(spec_.keys));
      r.key = "k" + std::to_string(k);
      int64_t disorder =
          spec_.event_time_disorder_ms > 0 ? rng_.Range(0, spec_.event_time_disorder_ms) : 0;
      r.event_time = wall_at_start + (intended_ns - start_ns) / 1'000'000 - disorder;
      batch.push_back(std::move(r));
      intended.push_back(intended_ns);
    }
    if (!batch.empty()) {
      const int64_t invoked_ns = MonotonicNanos();
      ASSIGN_OR_RETURN(std::vector<SendOutcome> outcomes, client_->Send(batch));
      if (outcomes.size() != batch.size()) {
        return Status::Internal("the client returned " + std::to_string(outcomes.size()) +
                                " outcomes for " + std::to_string(batch.size()) + " sends");
      }
      const int64_t t = invoked_ns - history_->start_ns();
      int64_t last_ack_ns = invoked_ns;
      for (size_t i = 0; i < batch.size(); ++i) {
        const SendOutcome& o = outcomes[i];
        const int64_t ack_ns = std::max(o.ack_mono_ns, invoked_ns);
        last_ack_ns = std::max(last_ack_ns, ack_ns);
        nlohmann::json j = {
            {"t", t}, {"type", "input"}, {"id", batch[i].id}, {"key", batch[i].key}};
        if (o.partition >= 0) j["partition"] = o.partition;
        if (o.offset >= 0) j["offset"] = o.offset;
        j["event_time"] = batch[i].event_time;
        j["value"] = batch[i].value;
        j["intended"] = intended[i] - history_->start_ns();
        j["status"] = std::string(systems::SendStatusName(o.status));
        j["ack_t"] = ack_ns - history_->start_ns();
        if (!o.error.empty()) j["error"] = o.error;
        history_->WriteLine(j.dump());
        switch (o.status) {
          case SendStatus::kOk:
            ledger_->Acknowledged(batch[i].id);
            ++acknowledged_;
            break;
          case SendStatus::kFail:
            ++failed_;
            break;
          case SendStatus::kUnknown:
            ++unknown_;
            break;
        }
      }
      int64_t lag_ms = (last_ack_ns - intended.front()) / 1'000'000;
      if (lag_ms > max_lag_ms_.load()) max_lag_ms_ = lag_ms;
    }
    if (next >= due) {
      int64_t next_due_ns =
          start_ns + static_cast<int64_t>(static_cast<double>(next) * ns_per_record);
      int64_t wait_ms = (next_due_ns - MonotonicNanos()) / 1'000'000;
      if (wait_ms > 0) SleepMillis(std::min<int64_t>(wait_ms, 20));
    }
  }
  return Status::Ok();
}

}  // namespace faultline::harness
