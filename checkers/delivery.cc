#include "checkers/delivery.h"

#include <algorithm>

namespace faultline::checkers {
namespace {

constexpr size_t kMaxListed = 10;  // copies listed in one example

nlohmann::json OutputJson(const OutputEvent& o) {
  return {{"t", o.t}, {"count", o.count}, {"committed", o.committed}};
}

// An example for an output line with no input: its own figures and the span around it.
nlohmann::json OrphanOutputExample(const OutputEvent& out, const ContextBuilder& context) {
  nlohmann::json e = {{"id", out.id}, {"count", out.count}, {"t", out.t}};
  e["key"] = context.KeyName(out.key);
  context.AddSpan(out.t, out.t, &e);
  return e;
}

}  // namespace

CheckerResult CheckDelivery(const History& history, const RecordIndex& index,
                            const ContextBuilder& context) {
  CheckerResult r = CheckerResult::Make("delivery", {"lost", "duplicated", "unexpected"});
  Anomaly& lost = r.anomalies[0];
  Anomaly& duplicated = r.anomalies[1];
  Anomaly& unexpected = r.anomalies[2];
  const auto& inputs = history.inputs;
  const auto& outputs = history.outputs;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    if (!index.ids().IsCanonical(i)) continue;
    std::span<const uint32_t> mine = index.CommittedOutputs(i);
    if (mine.empty()) {
      lost.Note([&] {
        nlohmann::json e = {{"id", inputs[i].id}};
        context.AddInput(inputs[i], kNever, kNever, &e);
        return e;
      });
    } else if (mine.size() > 1) {
      duplicated.NoteMany(static_cast<int64_t>(mine.size()) - 1, [&] {
        nlohmann::json e = {{"id", inputs[i].id}, {"copies", mine.size()}};
        nlohmann::json seen = nlohmann::json::array();
        int64_t last_t = 0;
        for (uint32_t o : mine) {
          if (seen.size() < kMaxListed) seen.push_back(OutputJson(outputs[o]));
          last_t = std::max(last_t, outputs[o].t);
        }
        e["outputs"] = std::move(seen);
        context.AddInput(inputs[i], index.delivered_times()[i], last_t, &e);
        return e;
      });
    }
  }
  std::vector<std::pair<uint64_t, uint32_t>> orphans;
  for (uint32_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].committed && index.InputOf(o) == kNoInput) orphans.push_back({outputs[o].id, o});
  }
  for (uint32_t o : FirstLineOfEachKey(std::move(orphans))) {
    unexpected.Note([&] { return OrphanOutputExample(outputs[o], context); });
  }
  return r;
}

CheckerResult CheckVisibility(const History& history, const RecordIndex& index,
                              const ContextBuilder& context) {
  CheckerResult r = CheckerResult::Make("visibility", {"aborted-reads"});
  Anomaly& aborted = r.anomalies[0];
  const auto& outputs = history.outputs;
  std::vector<std::pair<std::pair<uint64_t, int64_t>, uint32_t>> never_committed;
  for (uint32_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].committed) continue;
    uint32_t in = index.InputOf(o);
    bool became_committed = false;
    if (in != kNoInput) {
      for (uint32_t c : index.CommittedOutputs(in)) {
        became_committed = became_committed || outputs[c].count == outputs[o].count;
      }
    }
    if (!became_committed) never_committed.push_back({{outputs[o].id, outputs[o].count}, o});
  }
  for (uint32_t o : FirstLineOfEachKey(std::move(never_committed))) {
    aborted.Note([&] {
      uint32_t in = index.InputOf(o);
      if (in == kNoInput) return OrphanOutputExample(outputs[o], context);
      nlohmann::json e = {{"id", outputs[o].id}, {"count", outputs[o].count}, {"t", outputs[o].t}};
      context.AddInput(history.inputs[in], index.delivered_times()[in], outputs[o].t, &e);
      return e;
    });
  }
  return r;
}

}  // namespace faultline::checkers
