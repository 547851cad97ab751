#include "harness/observer.h"

#include "base/clock.h"

namespace faultline::harness {

Observer::Observer(systems::Reader* reader, HistoryWriter* history, DeliveryLedger* ledger)
    : reader_(reader), history_(history), ledger_(ledger) {}

Observer::~Observer() { (void)Stop(); }

void Observer::Start() {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      Status s = PollOnce();
      if (!s.ok()) {
        status_ = s;
        break;
      }
      SleepMillis(20);
    }
    stopped_ = true;
  });
}

Status Observer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return status_;
}

Status Observer::FinalRead() { return PollOnce(); }

Status Observer::PollOnce() {
  batch_.clear();
  RETURN_IF_ERROR(reader_->Poll(&batch_));
  for (const auto& d : batch_) Record(d);
  return Status::Ok();
}

void Observer::Record(const systems::Delivery& d) {
  nlohmann::json j;
  if (d.kind == systems::Delivery::Kind::kRetraction) {
    history_->Write({{"type", "retraction"}, {"source", d.source}, {"kept", d.kept}});
    ids_by_source_.Retract(d.source, d.kept, [&](uint64_t id) { ledger_->Retracted(id); });
    return;
  }
  if (d.kind == systems::Delivery::Kind::kWindow) {
    j = {{"type", "window"},
         {"key", d.key},
         {"start", d.window_start},
         {"end", d.window_end},
         {"count", d.count.value_or(0)},
         {"committed", d.committed}};
  } else {
    j = {{"type", "output"}, {"id", d.id}, {"key", d.key}};
    if (d.count) j["count"] = *d.count;
    j["committed"] = d.committed;
  }
  if (!d.source.empty()) j["source"] = d.source;
  history_->Write(std::move(j));
  if (d.committed) {
    ++committed_seen_;
    if (d.kind == systems::Delivery::Kind::kRecord) {
      ledger_->Delivered(d.id);
      if (!d.source.empty()) ids_by_source_.Add(d.source, d.id);
    }
  }
}

}  // namespace faultline::harness
