#include "checkers/context.h"

#include <algorithm>
#include <cstdio>

namespace faultline::checkers {
namespace {

constexpr size_t kMaxFaultsPerExample = 10;

nlohmann::json CheckpointJson(const CheckpointEvent& c) { return {{"id", c.id}, {"t", c.t}}; }

}  // namespace

const std::string& ContextBuilder::KeyName(uint32_t key) const {
  static const std::string kNone;
  return key < history_.keys.size() ? history_.keys[key] : kNone;
}

void ContextBuilder::AddInput(uint32_t index, int64_t delivered_t, int64_t until_t,
                              nlohmann::json* example) const {
  const InputEvent& input = history_.inputs[index];
  nlohmann::json& e = *example;
  e["key"] = KeyName(input.key);
  e["input"] = {
      {"t", input.t},
      {"partition",
       input.partition == kNoPartition ? nlohmann::json() : nlohmann::json(input.partition)},
      {"offset", input.offset == kNoOffset ? nlohmann::json() : nlohmann::json(input.offset)},
      {"event_time", input.event_time}};
  if (input.status != SendStatus::kOk) {
    e["input"]["status"] = std::string(SendStatusName(input.status));
    const auto& errors = history_.send_errors;
    auto it = std::lower_bound(errors.begin(), errors.end(), index,
                               [](const SendError& s, uint32_t i) { return s.input < i; });
    if (it != errors.end() && it->input == index) e["input"]["error"] = it->error;
  }
  e["latency_ns"] =
      delivered_t == kNever ? nlohmann::json(nullptr) : nlohmann::json(delivered_t - input.t);
  AddSpan(input.t, until_t, example);
}

void ContextBuilder::AddSpan(int64_t from_t, int64_t until_t, nlohmann::json* example) const {
  if (until_t == kNever) until_t = history_.end_t;
  nlohmann::json faults = nlohmann::json::array();
  for (const FaultInterval& f : history_.faults) {
    if (f.begin > until_t) break;  // sorted by begin
    if (f.end < from_t) continue;
    if (faults.size() == kMaxFaultsPerExample) break;
    faults.push_back({{"fault", f.fault},
                      {"target", f.target},
                      {"begin", f.begin},
                      {"end", f.end == kNever ? nlohmann::json(nullptr) : nlohmann::json(f.end)}});
  }
  (*example)["faults"] = std::move(faults);
  const auto& cps = history_.checkpoints;
  auto after = std::lower_bound(cps.begin(), cps.end(), from_t,
                                [](const CheckpointEvent& c, int64_t t) { return c.t < t; });
  nlohmann::json checkpoints = {{"before", nullptr}, {"after", nullptr}};
  if (after != cps.begin()) checkpoints["before"] = CheckpointJson(*(after - 1));
  if (after != cps.end()) checkpoints["after"] = CheckpointJson(*after);
  (*example)["checkpoints"] = std::move(checkpoints);
  // A restore that went back past committed output explains the duplicates it replays.
  nlohmann::json went_back = nlohmann::json::array();
  for (const RestoreBackEvent& r : history_.restores_back) {
    if (r.t < from_t || r.t > until_t) continue;
    went_back.push_back(RestoreBackJson(r));
  }
  if (!went_back.empty()) (*example)["restores_went_back"] = std::move(went_back);
}

nlohmann::json RestoreBackJson(const RestoreBackEvent& r) {
  return {
      {"t", r.t},
      {"checkpoint", r.checkpoint == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.checkpoint)},
      {"newest", r.newest},
      {"rollback", r.rollback}};
}

std::string FormatNanos(int64_t ns) {
  char buf[64];
  if (ns < 1'000'000'000 && ns > -1'000'000'000) {
    std::snprintf(buf, sizeof(buf), "%.1f ms", static_cast<double>(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3f s", static_cast<double>(ns) / 1e9);
  }
  return buf;
}

}  // namespace faultline::checkers
