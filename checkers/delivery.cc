#include "checkers/delivery.h"

#include <algorithm>

#include "checkers/registry.h"

namespace faultline::checkers {
namespace {

constexpr size_t kMaxListed = 10;  // copies listed in one example

nlohmann::json CountJson(int64_t count) {
  return count == kNoCount ? nlohmann::json() : nlohmann::json(count);
}

nlohmann::json OutputJson(const OutputEvent& o) {
  return {{"t", o.t}, {"count", CountJson(o.count)}, {"committed", o.committed}};
}

nlohmann::json OutputsJson(const std::vector<OutputEvent>& outputs,
                           std::span<const uint32_t> mine) {
  nlohmann::json seen = nlohmann::json::array();
  for (uint32_t o : mine) {
    if (seen.size() < kMaxListed) seen.push_back(OutputJson(outputs[o]));
  }
  return seen;
}

// An example for an output line with no input: its own figures and the span around it.
nlohmann::json OrphanOutputExample(const OutputEvent& out, const ContextBuilder& context) {
  nlohmann::json e = {{"id", out.id}, {"count", CountJson(out.count)}, {"t", out.t}};
  e["key"] = context.KeyName(out.key);
  context.AddSpan(out.t, out.t, &e);
  return e;
}

}  // namespace

CheckerResult CheckDelivery(const History& history, const RecordIndex& index,
                            const ContextBuilder& context) {
  CheckerResult r = NewCheckerResult(CheckerId::kDelivery);
  Anomaly& lost = *r.Find("lost");
  Anomaly& duplicated = *r.Find("duplicated");
  Anomaly& unexpected = *r.Find("unexpected");
  Anomaly& after_fail = *r.Find("delivered-after-fail");
  int64_t failed = 0, unknown_delivered = 0, unknown_missing = 0;
  const auto& inputs = history.inputs;
  const auto& outputs = history.outputs;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    if (!index.ids().IsCanonical(i)) continue;
    std::span<const uint32_t> mine = index.CommittedOutputs(i);
    const SendStatus status = index.ids().StatusOf(i);
    if (status == SendStatus::kFail) {
      ++failed;
      if (!mine.empty()) {
        after_fail.Note([&] {
          nlohmann::json e = {{"id", inputs[i].id}, {"copies", mine.size()}};
          e["outputs"] = OutputsJson(outputs, mine);
          context.AddInput(i, index.delivered_t(i), index.delivered_t(i), &e);
          return e;
        });
      }
    } else if (status == SendStatus::kUnknown) {
      ++(mine.empty() ? unknown_missing : unknown_delivered);
    }
    if (mine.empty()) {
      // Only an acknowledged send must be delivered; an unknown one may or may not be.
      if (status != SendStatus::kOk) continue;
      lost.Note([&] {
        nlohmann::json e = {{"id", inputs[i].id}};
        context.AddInput(i, kNever, kNever, &e);
        return e;
      });
    } else if (mine.size() > 1) {
      duplicated.NoteMany(static_cast<int64_t>(mine.size()) - 1, [&] {
        nlohmann::json e = {{"id", inputs[i].id}, {"copies", mine.size()}};
        int64_t last_t = 0;
        for (uint32_t o : mine) last_t = std::max(last_t, outputs[o].t);
        e["outputs"] = OutputsJson(outputs, mine);
        context.AddInput(i, index.delivered_t(i), last_t, &e);
        return e;
      });
    }
  }
  r.details = {{"failed", failed},
               {"unknown_delivered", unknown_delivered},
               {"unknown_missing", unknown_missing}};
  std::vector<std::pair<uint64_t, uint32_t>> orphans;
  for (uint32_t o = 0; o < outputs.size(); ++o) {
    if (Survives(outputs[o]) && index.InputOf(o) == kNoInput) orphans.push_back({outputs[o].id, o});
  }
  for (uint32_t o : FirstLineOfEachKey(std::move(orphans))) {
    unexpected.Note([&] { return OrphanOutputExample(outputs[o], context); });
  }
  return r;
}

CheckerResult CheckVisibility(const History& history, const RecordIndex& index,
                              const ContextBuilder& context) {
  CheckerResult r = NewCheckerResult(CheckerId::kVisibility);
  Anomaly& aborted = *r.Find("aborted-reads");
  const auto& outputs = history.outputs;
  // Committed and later taken back is still committed: reading it early was no aborted read
  // (the retraction is its own anomaly). By input, then line.
  std::vector<std::pair<uint32_t, uint32_t>> taken_back;
  for (const RetractionEvent& back : history.retractions) {
    uint32_t in = back.window ? kNoInput : index.InputOf(back.index);
    if (in != kNoInput) taken_back.push_back({in, back.index});
  }
  std::sort(taken_back.begin(), taken_back.end());
  std::vector<std::pair<std::pair<uint64_t, int64_t>, uint32_t>> never_committed;
  for (uint32_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].committed) continue;
    uint32_t in = index.InputOf(o);
    bool became_committed = false;
    // A countless output (the delivery job) is matched by its id alone.
    auto same = [&](uint32_t c) {
      return outputs[o].count == kNoCount || outputs[c].count == outputs[o].count;
    };
    if (in != kNoInput) {
      for (uint32_t c : index.CommittedOutputs(in)) became_committed = became_committed || same(c);
      auto it = std::lower_bound(taken_back.begin(), taken_back.end(), std::make_pair(in, 0u));
      for (; it != taken_back.end() && it->first == in; ++it) {
        became_committed = became_committed || same(it->second);
      }
    }
    if (!became_committed) never_committed.push_back({{outputs[o].id, outputs[o].count}, o});
  }
  for (uint32_t o : FirstLineOfEachKey(std::move(never_committed))) {
    aborted.Note([&] {
      uint32_t in = index.InputOf(o);
      if (in == kNoInput) return OrphanOutputExample(outputs[o], context);
      nlohmann::json e = {
          {"id", outputs[o].id}, {"count", CountJson(outputs[o].count)}, {"t", outputs[o].t}};
      context.AddInput(in, index.delivered_t(in), outputs[o].t, &e);
      return e;
    });
  }
  // Committed output taken back: a reader that consumed it saw what the system later denied.
  Anomaly& retracted = *r.Find("retracted");
  for (const RetractionEvent& back : history.retractions) {
    if (back.window) continue;
    retracted.Note([&] {
      const OutputEvent& out = outputs[back.index];
      uint32_t in = index.InputOf(back.index);
      if (in == kNoInput) return OrphanOutputExample(out, context);
      nlohmann::json e = {{"id", out.id},
                          {"count", CountJson(out.count)},
                          {"t", out.t},
                          {"retracted_t", back.t},
                          {"redelivered", !index.CommittedOutputs(in).empty()}};
      context.AddInput(in, out.t, back.t, &e);
      return e;
    });
  }
  return r;
}

}  // namespace faultline::checkers
