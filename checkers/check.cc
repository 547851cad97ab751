#include "checkers/check.h"

#include <cstdio>

#include "checkers/availability.h"
#include "checkers/context.h"
#include "checkers/delivery.h"
#include "checkers/index.h"
#include "checkers/state.h"
#include "checkers/windows.h"

namespace faultline::checkers {
namespace {

// A checker with nothing to judge in this job (the state of the window job, say).
CheckerResult NotApplicable(std::string name, std::initializer_list<const char*> kinds) {
  CheckerResult r = CheckerResult::Make(std::move(name), kinds);
  r.applicable = false;
  return r;
}

JobKind DetectJob(const History& history) {
  if (auto job = ParseJobKind(history.meta.job)) return *job;
  return !history.windows.empty() && history.outputs.empty() ? JobKind::kWindowCount
                                                             : JobKind::kCount;
}

int64_t Detail(const CheckerResult& c, const char* name) {
  auto it = c.details.find(name);
  return it != c.details.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// Whether checker `c`'s findings are acceptable under `mode`.
bool ValidUnder(Mode mode, const CheckerResult& c) {
  if (!c.applicable) return true;
  const bool exactly_once = mode == Mode::kExactlyOnce;
  if (c.name == "delivery") {
    if (c.Count("unexpected") > 0) return false;
    if (mode != Mode::kAtMostOnce && c.Count("lost") > 0) return false;
    if (mode != Mode::kAtLeastOnce && c.Count("duplicated") > 0) return false;
    return true;
  }
  if (c.name == "windows") {
    if (exactly_once) return c.clean();
    int64_t extra = Detail(c, "extra");
    if (mode == Mode::kAtLeastOnce) {
      return extra + Detail(c, "missing") + Detail(c, "undercounted") == 0;
    }
    return extra + Detail(c, "overcounted") == 0;
  }
  if (c.name == "availability") return true;
  return !exactly_once || c.clean();  // state, order, visibility
}

std::vector<int64_t> CommittedTimes(const History& history) {
  std::vector<int64_t> times;
  for (const OutputEvent& o : history.outputs) {
    if (o.committed) times.push_back(o.t);
  }
  for (const WindowEvent& w : history.windows) {
    if (w.committed) times.push_back(w.t);
  }
  return times;
}

}  // namespace

CheckResult Check(const History& history, const CheckOptions& options) {
  CheckResult r;
  r.mode = options.mode ? options.mode : ParseMode(history.meta.mode);
  r.job = DetectJob(history);
  r.scenario = history.meta.scenario;
  r.seed = history.meta.seed;
  HistoryStats& s = r.stats;
  s.lines = history.lines;
  s.inputs = history.inputs.size();
  s.outputs = history.outputs.size();
  for (const OutputEvent& o : history.outputs) s.uncommitted_outputs += o.committed ? 0 : 1;
  s.windows = history.windows.size();
  s.faults = history.faults.size();
  s.checkpoints = history.checkpoints.size();
  s.end_t = history.end_t;

  ContextBuilder context(history);
  if (r.job == JobKind::kCount) {
    RecordIndex index(history);
    r.checkers.push_back(CheckDelivery(history, index, context));
    r.checkers.push_back(CheckState(history, index, context));
    r.checkers.push_back(CheckOrder(history, index, context));
    r.checkers.push_back(NotApplicable("windows", {"mismatched"}));
    r.checkers.push_back(CheckVisibility(history, index, context));
    r.checkers.push_back(
        CheckAvailability(history, index.delivered_times(), CommittedTimes(history)));
  } else {
    IdIndex ids(history.inputs);
    WindowTable table(history, ids);
    r.checkers.push_back(CheckWindowDelivery(history, table, context));
    r.checkers.push_back(
        NotApplicable("state", {"count-repeat", "count-gap", "count-regression", "overcount"}));
    r.checkers.push_back(NotApplicable("order", {"violations"}));
    r.checkers.push_back(CheckWindows(history, table, context));
    r.checkers.push_back(CheckWindowVisibility(history, table, context));
    r.checkers.push_back(
        CheckAvailability(history, table.delivered_times(), CommittedTimes(history)));
  }

  if (!r.mode) {
    r.unknown_reasons.push_back(
        history.meta.mode.empty()
            ? "the history names no mode (no meta line with \"mode\"); pass --mode"
            : "unknown mode \"" + history.meta.mode + "\"; pass --mode");
  }
  if (!history.HasPhase("final-read")) {
    r.unknown_reasons.push_back("no final-read phase: the run never reached quiescence");
  }
  bool valid = true;
  for (CheckerResult& c : r.checkers) {
    c.valid = r.mode ? ValidUnder(*r.mode, c) : c.clean();
    valid = valid && c.valid;
  }
  if (!r.unknown_reasons.empty()) {
    r.verdict = Verdict::kUnknown;
  } else {
    r.verdict = valid ? Verdict::kValid : Verdict::kInvalid;
  }
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
    const char* status = !c.applicable ? "n/a" : !c.valid ? "FAIL" : c.clean() ? "ok" : "allowed";
    if (c.name == "availability") {
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
  for (const std::string& reason : result.unknown_reasons) out += "unknown: " + reason + "\n";
  return out;
}

}  // namespace faultline::checkers
