#include "checkers/check.h"

#include <cstdio>

#include "checkers/availability.h"
#include "checkers/context.h"
#include "checkers/delivery.h"
#include "checkers/index.h"
#include "checkers/registry.h"
#include "checkers/state.h"
#include "checkers/verdict.h"
#include "checkers/windows.h"

namespace faultline::checkers {
namespace {

constexpr const char* kNotSelected = "not in the scenario's checks";

JobKind DetectJob(const History& history) {
  if (auto job = ParseJobKind(history.meta.job)) return *job;
  if (!history.windows.empty() && history.outputs.empty()) return JobKind::kWindowCount;
  // Outputs that never carry a count: records delivered as they are.
  if (!history.outputs.empty() && history.counted_outputs == 0) return JobKind::kDelivery;
  return JobKind::kCount;
}

HistoryStats StatsOf(const History& history) {
  HistoryStats s;
  s.lines = history.lines;
  s.inputs = history.inputs.size();
  s.inputs_failed = history.failed_sends;
  s.inputs_unknown = history.unknown_sends;
  s.inputs_ok = s.inputs - s.inputs_failed - s.inputs_unknown;
  s.outputs = history.outputs.size();
  for (const OutputEvent& o : history.outputs) s.uncommitted_outputs += o.committed ? 0 : 1;
  s.windows = history.windows.size();
  s.faults = history.faults.size();
  s.failed_faults = history.failed_faults.size();
  s.checkpoints = history.checkpoints.size();
  s.end_t = history.end_t;
  return s;
}

}  // namespace

CheckResult Check(const History& history, const CheckOptions& options) {
  CheckResult r;
  r.mode = options.mode ? options.mode : ParseMode(history.meta.mode);
  r.job = DetectJob(history);
  r.scenario = history.meta.scenario;
  r.system = history.meta.system;
  r.seed = history.meta.seed;
  r.stats = StatsOf(history);
  r.failed_faults = history.failed_faults;
  r.restores_went_back = history.restores_back;

  // The selection: the options', else the history's meta `checks`, else every checker.
  const std::optional<std::vector<std::string>>& checks =
      options.checks ? options.checks : history.meta.checks;
  std::vector<bool> selected(Checkers().size(), !checks.has_value());
  if (checks) {
    for (const std::string& name : *checks) {
      if (const CheckerSpec* spec = FindChecker(name)) {
        selected[static_cast<size_t>(spec->id)] = true;
      } else {
        r.unknown_reasons.push_back("unknown checker \"" + name + "\" in the checks");
        r.request_unjudgeable = true;
      }
    }
  }

  ContextBuilder context(history);
  std::optional<IdIndex> ids;
  std::optional<RecordIndex> records;
  std::optional<WindowTable> windows;
  if (r.job == JobKind::kWindowCount) {
    ids.emplace(history.inputs);
    windows.emplace(history, *ids);
  } else {
    records.emplace(history);
  }
  const CheckInputs inputs{history, r.job, context, records ? &*records : nullptr,
                           windows ? &*windows : nullptr};
  for (const CheckerSpec& spec : Checkers()) {
    const bool chosen = selected[static_cast<size_t>(spec.id)];
    if (chosen && spec.AppliesTo(r.job)) {
      r.checkers.push_back(spec.run(inputs));
      continue;
    }
    CheckerResult c = NewCheckerResult(spec.id);
    c.applicable = false;
    c.selected = chosen;
    // `skipped` only where the selection, not the job, kept the checker from judging.
    if (!chosen && spec.AppliesTo(r.job)) c.details = {{"skipped", kNotSelected}};
    r.checkers.push_back(std::move(c));
  }

  if (!r.mode) {
    r.request_unjudgeable = true;
    r.unknown_reasons.push_back(
        history.meta.mode.empty()
            ? "the history names no mode (no meta line with \"mode\"); pass --mode"
            : "unknown mode \"" + history.meta.mode + "\"; pass --mode");
  }
  for (const PhaseEvent& p : history.phases) {
    if (p.phase == "aborted") r.unknown_reasons.push_back("the run was aborted: " + p.error);
  }
  if (!history.HasPhase("final-read") && !history.HasPhase("aborted")) {
    r.unknown_reasons.push_back("no final-read phase: the run never reached quiescence");
  }
  DecideVerdict(&r);
  return r;
}

std::string FormatSummary(const CheckResult& result) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line),
                "verdict: %s  (%s, %s job; %llu inputs, %llu outputs, %llu windows)\n",
                std::string(VerdictName(result.verdict)).c_str(),
                result.mode ? std::string(ModeName(*result.mode)).c_str() : "mode unknown",
                std::string(JobKindName(result.job)).c_str(),
                static_cast<unsigned long long>(result.stats.inputs),
                static_cast<unsigned long long>(result.stats.outputs),
                static_cast<unsigned long long>(result.stats.windows));
  out += line;
  for (const CheckerResult& c : result.checkers) {
    std::string figures;
    for (const Anomaly& a : c.anomalies) {
      figures += (figures.empty() ? "" : ", ") + a.name + " " + std::to_string(a.count);
    }
    if (c.id == CheckerId::kDelivery && c.applicable) {
      // The send outcomes behind the figures, when the history has any but `ok`.
      auto detail = [&](const char* name) {
        auto it = c.details.find(name);
        return it != c.details.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
      };
      const int64_t unknown = detail("unknown_delivered") + detail("unknown_missing");
      if (detail("failed") + unknown > 0) {
        figures += "; sends failed " + std::to_string(detail("failed")) + ", unknown " +
                   std::to_string(unknown) + " (" + std::to_string(detail("unknown_delivered")) +
                   " delivered)";
      }
    }
    const char* status = c.details.contains("skipped") ? "skipped"
                         : !c.applicable               ? "n/a"
                         : !c.valid                    ? "FAIL"
                         : c.clean()                   ? "ok"
                                                       : "allowed";
    if (c.id == CheckerId::kAvailability && c.applicable) {
      const nlohmann::json& lat = c.details["latency"];
      auto nanos = [](const nlohmann::json& v) {
        return v.is_number_integer() ? FormatNanos(v.get<int64_t>()) : std::string("-");
      };
      const nlohmann::json& stall = c.details["longest_stall"];
      figures = "latency p50 " + nanos(lat["p50_ns"]) + ", p99 " + nanos(lat["p99_ns"]) + ", max " +
                nanos(lat["max_ns"]) + "; longest stall " +
                (stall.is_object() ? nanos(stall["duration_ns"]) : std::string("none")) + "; " +
                std::to_string(c.details["faults"].size()) + " faults";
      status = "";
    }
    if (!c.applicable) figures.clear();
    std::snprintf(line, sizeof(line), "  %-13s %-8s %s", c.name.c_str(), status, figures.c_str());
    std::string text = line;
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  }
  for (const RestoreBackEvent& r : result.restores_went_back) {
    out += "restore went back at " + FormatNanos(r.t) + ": to " +
           (r.checkpoint == 0 ? std::string("scratch") : "chk-" + std::to_string(r.checkpoint)) +
           ", past chk-" + std::to_string(r.newest) +
           (r.rollback ? " (a rollback)" : " (a fallback past an unreadable checkpoint)") +
           "; output committed since is replayed\n";
  }
  for (const std::string& reason : result.unknown_reasons) out += "unknown: " + reason + "\n";
  return out;
}

}  // namespace faultline::checkers
