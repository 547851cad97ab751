#include "reports/run_report.h"

#include <algorithm>
#include <cmath>

#include "base/file.h"
#include "base/json.h"
#include "checkers/registry.h"
#include "checkers/verdict.h"
#include "reports/html.h"
#include "reports/plan_report.h"

namespace faultline::reports {
namespace {

constexpr double kNsPerS = 1e9;
constexpr size_t kLogTailBytes = 4096;

std::optional<double> NumberAt(const nlohmann::json& j, const nlohmann::json::json_pointer& p) {
  if (!j.contains(p)) return std::nullopt;
  const auto& v = j.at(p);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

int64_t IntAt(const nlohmann::json& j, const char* pointer) {
  auto v = NumberAt(j, nlohmann::json::json_pointer(pointer));
  return v ? static_cast<int64_t>(*v) : 0;
}

// A time of results.json, in seconds with two decimals; "–" when absent.
std::string SecondsAt(const nlohmann::json& j, const char* pointer) {
  auto v = NumberAt(j, nlohmann::json::json_pointer(pointer));
  return FormatNumber(v ? std::optional<double>(*v / 1e9) : std::nullopt, 2);
}

std::string Seconds(double ns) { return FormatNumber(ns / kNsPerS, 2) + " s"; }

// A JSON value as text for a table cell (strings without their quotes); not yet escaped.
std::string Plain(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "–";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether anomaly `kind` of checker object `c` fails the run: the checker decided, and
// results.json lists it under `failing` (docs/results-format.md). A results.json written
// before that list existed falls back to the checker's `valid`.
bool KindFails(const nlohmann::json& c, const std::string& kind) {
  auto failing = c.find("failing");
  if (failing == c.end() || !failing->is_array()) return !c.value("valid", true);
  return std::find(failing->begin(), failing->end(), kind) != failing->end();
}

std::string FormatFaults(const nlohmann::json& faults) {
  std::string out;
  for (const auto& f : faults) {
    if (!out.empty()) out += "; ";
    out += Plain(f.value("fault", nlohmann::json())) + " " +
           Plain(f.value("target", nlohmann::json())) + " [";
    auto b = f.find("begin");
    auto e = f.find("end");
    out += (b != f.end() && b->is_number() ? Seconds(b->get<double>()) : "?") + " – ";
    out += (e != f.end() && e->is_number() ? Seconds(e->get<double>()) : "never healed") + "]";
  }
  return out.empty() ? "none" : out;
}

std::string FormatCheckpoint(const nlohmann::json& c) {
  if (!c.is_object()) return "none";
  auto t = c.find("t");
  return "chk-" + Plain(c.value("id", nlohmann::json())) + " at " +
         (t != c.end() && t->is_number() ? Seconds(t->get<double>()) : "?");
}

// One example as table cells: what it is about, when and where its input was written, its
// latency, the faults active and the checkpoints around it. Everything escaped here.
std::string ExampleRow(size_t index, const nlohmann::json& ex) {
  std::string what, input = "–", latency = "–", faults = "none", checkpoints = "–";
  if (!ex.is_object()) {
    what = Plain(ex);
  } else {
    for (const auto& [k, v] : ex.items()) {
      if (k == "input") {
        if (v.is_object()) {
          input = (v.contains("t") && v["t"].is_number() ? Seconds(v["t"].get<double>()) : "?") +
                  ", partition " + Plain(v.value("partition", nlohmann::json())) + " offset " +
                  Plain(v.value("offset", nlohmann::json()));
          // The send's outcome when it was not acknowledged, with the system's error.
          if (v.contains("status")) input += ", send " + Plain(v["status"]);
          if (v.contains("error")) input += ": " + Plain(v["error"]);
        }
      } else if (k == "latency_ns") {
        latency = v.is_number() ? FormatNs(v.get<double>()) : "never delivered";
      } else if (k == "faults") {
        faults = FormatFaults(v);
      } else if (k == "checkpoints") {
        checkpoints = v.is_object()
                          ? "before: " + FormatCheckpoint(v.value("before", nlohmann::json())) +
                                "; after: " + FormatCheckpoint(v.value("after", nlohmann::json()))
                          : "none";
      } else {
        if (!what.empty()) what += ", ";
        // Times (`t`, `*_t`) and durations (`*_ns`) are nanoseconds: shown in units.
        auto ends = [&](std::string_view suffix) {
          return k.size() >= suffix.size() &&
                 k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        std::string value = Plain(v);
        if (v.is_number() && (k == "t" || ends("_t"))) value = Seconds(v.get<double>());
        if (v.is_number() && ends("_ns")) value = FormatNs(v.get<double>());
        what += k + ": " + value;
      }
    }
  }
  return "<tr><td class=\"num\">" + std::to_string(index + 1) + "</td><td class=\"example mono\">" +
         HtmlEscape(what) + "</td><td>" + HtmlEscape(input) + "</td><td>" + HtmlEscape(latency) +
         "</td><td>" + HtmlEscape(faults) + "</td><td>" + HtmlEscape(checkpoints) + "</td></tr>\n";
}

std::string AnomalySection(const RunData& run) {
  const nlohmann::json found = run.results.value("checkers", nlohmann::json::object());
  std::string table =
      "<table class=\"anomalies\"><tr><th>checker</th><th>anomaly</th><th>count</th>"
      "<th>under this mode</th></tr>\n";
  std::string examples;
  std::string skipped;
  int rows = 0;
  for (const checkers::CheckerSpec& spec : checkers::Checkers()) {
    const std::string checker(spec.name);
    auto it = found.find(checker);
    if (it == found.end() || !it->is_object()) continue;
    const auto& c = *it;
    // Left out by the scenario, though the job gives it something to judge.
    if (c.contains("skipped")) skipped += (skipped.empty() ? "" : ", ") + checker;
    if (!c.value("applicable", true)) continue;
    for (std::string_view kind_name : spec.kinds) {
      const std::string kind(kind_name);
      int64_t count = c.contains(kind) && c[kind].is_number() ? c[kind].get<int64_t>() : 0;
      if (count == 0) continue;
      ++rows;
      bool fails = KindFails(c, kind);
      std::string parts;
      if (spec.id == checkers::CheckerId::kWindows) {
        for (const char* p : {"missing", "extra", "differing", "undercounted", "overcounted"}) {
          if (c.contains(p) && c[p].is_number() && c[p].get<int64_t>() > 0)
            parts += std::string(parts.empty() ? " (" : ", ") + p + " " + Plain(c[p]);
        }
        if (!parts.empty()) parts += ")";
      }
      table += std::string("<tr class=\"anomaly-row ") + (fails ? "bad" : "allowed") + "\"><td>" +
               checker + "</td><td>" + kind + HtmlEscape(parts) + "</td><td class=\"num\">" +
               std::to_string(count) + "</td><td><span class=\"tag " +
               (fails ? "no\">fails" : "allowed\">allowed") + "</span></td></tr>\n";
      const nlohmann::json& ex = c.value("examples", nlohmann::json::object());
      auto list = ex.find(kind);
      if (list == ex.end() || !list->is_array() || list->empty()) continue;
      examples += std::string("<details class=\"examples\"") + (fails ? " open" : "") +
                  "><summary>" + checker + "." + kind + ": " + std::to_string(list->size()) +
                  " of " + std::to_string(count) +
                  " examples</summary>\n<table><tr><th>#</th><th>example</th><th>input "
                  "sent</th><th>latency</th><th>faults active</th><th>checkpoints</th></tr>\n";
      for (size_t i = 0; i < list->size(); ++i) examples += ExampleRow(i, (*list)[i]);
      examples += "</table></details>\n";
    }
  }
  std::string note;
  if (!skipped.empty()) {
    note = "<p class=\"skipped-checkers muted\">Not checked (not in the scenario's checks): " +
           HtmlEscape(skipped) + ".</p>\n";
  }
  if (rows == 0) {
    return "<h2>Anomalies</h2>\n<p class=\"no-anomalies\">None: every checker is clean.</p>\n" +
           note;
  }
  return "<h2>Anomalies</h2>\n" + table + "</table>\n" + note + examples;
}

// Injections that did not take effect: the run tested less than its scenario planned.
std::string FailedFaultsSection(const RunData& run) {
  if (run.timeline.failed_faults.empty()) return "";
  std::string out =
      "<h2>Faults that failed to take effect</h2>\n<table class=\"failed-faults\"><tr><th>at</th>"
      "<th>fault</th><th>target</th><th>error</th></tr>\n";
  for (const auto& f : run.timeline.failed_faults) {
    out += "<tr><td class=\"num\">" + HtmlEscape(Seconds(static_cast<double>(f.t))) + "</td><td>" +
           HtmlEscape(f.kind) + "</td><td>" + HtmlEscape(f.target) + "</td><td>" +
           HtmlEscape(f.error) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

// Restores that went back past the newest checkpoint: what they replay shows up again.
std::string RestoresWentBackSection(const RunData& run) {
  const nlohmann::json went_back = run.results.value("restores_went_back", nlohmann::json::array());
  if (!went_back.is_array() || went_back.empty()) return "";
  std::string out =
      "<h2>Restores that went back past committed output</h2>\n<p>Committed output stays "
      "committed; the job replays what came after the restored checkpoint, so that output "
      "shows up again as duplicates.</p>\n<table class=\"went-back\"><tr><th>at</th><th>restored"
      "</th><th>newest completed</th><th>why</th></tr>\n";
  for (const nlohmann::json& r : went_back) {
    const nlohmann::json chk = r.value("checkpoint", nlohmann::json());
    out += "<tr><td class=\"num\">" +
           HtmlEscape(Seconds(static_cast<double>(r.value("t", int64_t{0})))) + "</td><td>" +
           (chk.is_number() ? "chk-" + chk.dump() : std::string("nothing (from scratch)")) +
           "</td><td>chk-" + HtmlEscape(Plain(r.value("newest", nlohmann::json()))) + "</td><td>" +
           (r.value("rollback", false) ? "rollback (--restore)"
                                       : "fallback past an unreadable checkpoint") +
           "</td></tr>\n";
  }
  return out + "</table>\n";
}

std::string AvailabilitySection(const RunData& run) {
  const nlohmann::json& a = run.results.value("checkers", nlohmann::json::object())
                                .value("availability", nlohmann::json::object());
  std::string out =
      "<h2>Availability</h2>\n<p>Delivery latency (input written → first committed output): p50 " +
      FormatNs(NumberAt(a, nlohmann::json::json_pointer("/latency/p50_ns"))) + ", p99 " +
      FormatNs(NumberAt(a, nlohmann::json::json_pointer("/latency/p99_ns"))) + ", max " +
      FormatNs(NumberAt(a, nlohmann::json::json_pointer("/latency/max_ns"))) + " over " +
      FormatNumber(NumberAt(a, nlohmann::json::json_pointer("/latency/count")), 0) +
      " delivered inputs.";
  if (a.contains("longest_stall") && a["longest_stall"].is_object()) {
    const auto& s = a["longest_stall"];
    out += " Longest stall while input flowed: " +
           FormatNs(NumberAt(s, nlohmann::json::json_pointer("/duration_ns"))) + " from " +
           HtmlEscape(Seconds(s.value("start", 0.0))) + ".";
  }
  out += "</p>\n";
  if (a.contains("faults") && a["faults"].is_array() && !a["faults"].empty()) {
    out +=
        "<table class=\"recovery\"><tr><th>fault</th><th>target</th><th>begin</th><th>end</th>"
        "<th>recovery (from begin)</th><th>heal → output</th></tr>\n";
    for (const auto& f : a["faults"]) {
      out += "<tr><td>" + HtmlEscape(Plain(f.value("fault", nlohmann::json()))) + "</td><td>" +
             HtmlEscape(Plain(f.value("target", nlohmann::json()))) + "</td><td class=\"num\">" +
             SecondsAt(f, "/begin") + " s</td><td class=\"num\">" + SecondsAt(f, "/end") +
             " s</td><td class=\"num\">" +
             FormatNs(NumberAt(f, nlohmann::json::json_pointer("/recovery_ns"))) +
             "</td><td class=\"num\">" +
             FormatNs(NumberAt(f, nlohmann::json::json_pointer("/heal_to_output_ns"))) +
             "</td></tr>\n";
    }
    out += "</table>\n";
  }
  return out;
}

std::string TailOf(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return "";
  std::string s = std::move(*text);
  if (s.size() > kLogTailBytes) {
    s.erase(0, s.size() - kLogTailBytes);
    size_t nl = s.find('\n');
    if (nl != std::string::npos) s.erase(0, nl + 1);
  }
  return s;
}

std::string NodesSection(const RunData& run) {
  if (run.nodes.empty()) return "";
  std::string out = "<h2>Nodes</h2>\n<table class=\"nodes\"><tr><th>node</th><th>logs</th></tr>\n";
  std::string tails;
  for (const auto& id : run.nodes) {
    out += "<tr><td>" + HtmlEscape(id) + "</td><td>";
    for (const char* f : {"stdout", "stderr", "events.jsonl"}) {
      std::string rel = "nodes/" + id + "/" + f;
      if (!PathExists(JoinPath(run.run_dir, rel))) continue;
      out += "<a class=\"node-log\" href=\"" + HtmlEscape(UrlPathEscape(rel)) + "\">" + f + "</a> ";
    }
    out += "</td></tr>\n";
    std::string tail = TailOf(JoinPath(run.run_dir, "nodes/" + id + "/stderr"));
    if (!tail.empty()) {
      tails += "<details><summary>" + HtmlEscape(id) + ": end of stderr</summary><pre>" +
               HtmlEscape(tail) + "</pre></details>\n";
    }
  }
  return out + "</table>\n" + tails;
}

}  // namespace

std::string RunData::mode() const {
  auto it = results.find("mode");
  if (it != results.end() && it->is_string()) return it->get<std::string>();
  return timeline.mode;
}

std::string RunData::verdict() const {
  auto it = results.find("valid");
  if (it == results.end() || !it->is_boolean()) return "unknown";
  return it->get<bool>() ? "valid" : "invalid";
}

bool RunData::as_expected() const {
  return checkers::MeetsExpectation(
      checkers::ParseVerdict(verdict()).value_or(checkers::Verdict::kUnknown), expected);
}

std::optional<uint64_t> RunData::seed() const {
  auto it = results.find("seed");
  if (it != results.end() && it->is_number_unsigned()) return it->get<uint64_t>();
  return timeline.seed;
}

std::string RunData::ReplayCommand() const {
  if (scenario_path.empty()) return "";
  std::string cmd = "faultline run " + scenario_path;
  // A multi-mode scenario.json names every mode; replay this one only.
  if (scenario.is_object() && scenario.contains("mode") && scenario["mode"].is_array() &&
      scenario["mode"].size() > 1 && !mode().empty()) {
    cmd += " --mode " + mode();
  }
  return cmd;
}

Result<RunData> LoadRunData(const std::string& run_dir) {
  RunData run;
  run.run_dir = run_dir;
  const std::string results_path = JoinPath(run_dir, "results.json");
  if (!PathExists(results_path))
    return Status::NotFound(results_path + ": missing (run `faultline check " + run_dir +
                            "` first)");
  ASSIGN_OR_RETURN(run.results, ReadJsonFile(results_path));
  if (!run.results.is_object())
    return Status::Corruption(results_path + ": expected a JSON object");
  const std::string history_path = JoinPath(run_dir, "history.jsonl");
  if (!PathExists(history_path)) return Status::NotFound(history_path + ": missing");
  ASSIGN_OR_RETURN(run.timeline, ReadTimeline(history_path));
  for (const std::string& dir : {run_dir, DirName(run_dir)}) {
    std::string p = JoinPath(dir, "scenario.json");
    if (!PathExists(p)) continue;
    auto s = ReadJsonFile(p);
    if (!s.ok()) return s.status();
    run.scenario = std::move(*s);
    run.scenario_path = p;
    break;
  }
  std::string m = run.mode();
  if (run.scenario.is_object() && run.scenario.contains("expect") &&
      run.scenario["expect"].is_object() && run.scenario["expect"].contains(m) &&
      run.scenario["expect"][m].is_string()) {
    run.expected = run.scenario["expect"][m].get<std::string>();
  }
  if (auto names = ListDir(JoinPath(run_dir, "nodes")); names.ok()) run.nodes = *names;
  for (auto [file, slot] :
       {std::pair{"plan.json", &run.plan}, std::pair{"shrink/shrink.json", &run.shrink}}) {
    if (!PathExists(JoinPath(run_dir, file))) continue;
    ASSIGN_OR_RETURN(*slot, ReadJsonFile(JoinPath(run_dir, file)));
  }
  return run;
}

RunFigures FiguresOf(const RunData& run) {
  const auto& r = run.results;
  RunFigures f;
  f.lost = IntAt(r, "/checkers/delivery/lost");
  f.duplicated = IntAt(r, "/checkers/delivery/duplicated");
  f.unexpected = IntAt(r, "/checkers/delivery/unexpected");
  for (std::string_view k : checkers::SpecOf(checkers::CheckerId::kState).kinds)
    f.state_anomalies += IntAt(r, ("/checkers/state/" + std::string(k)).c_str());
  f.state_anomalies += IntAt(r, "/checkers/windows/mismatched");
  f.order_violations = IntAt(r, "/checkers/order/violations");
  f.aborted_reads = IntAt(r, "/checkers/visibility/aborted-reads");
  f.p50_ns = NumberAt(r, nlohmann::json::json_pointer("/checkers/availability/latency/p50_ns"));
  f.p99_ns = NumberAt(r, nlohmann::json::json_pointer("/checkers/availability/latency/p99_ns"));
  double committed =
      static_cast<double>(IntAt(r, "/stats/outputs") - IntAt(r, "/stats/uncommitted_outputs"));
  if (IntAt(r, "/stats/outputs") == 0) committed = static_cast<double>(IntAt(r, "/stats/windows"));
  if (auto span = run.timeline.PhaseSpan("generate"); span && span->second > span->first)
    f.throughput = committed / (static_cast<double>(span->second - span->first) / kNsPerS);
  const auto& faults = r.contains(nlohmann::json::json_pointer("/checkers/availability/faults"))
                           ? r.at(nlohmann::json::json_pointer("/checkers/availability/faults"))
                           : nlohmann::json::array();
  if (faults.is_array()) {
    for (const auto& fault : faults) {
      auto ns = NumberAt(fault, nlohmann::json::json_pointer("/recovery_ns"));
      if (ns) f.recovery_ns = std::max(f.recovery_ns.value_or(0), *ns);
    }
  }
  return f;
}

double RunSeconds(const RunData& run) {
  double end = static_cast<double>(run.timeline.end_t);
  if (auto v = NumberAt(run.results, nlohmann::json::json_pointer("/stats/end_t")))
    end = std::max(end, *v);
  return std::max(end / kNsPerS, 1.0);
}

namespace {

const nlohmann::json& PerSecond(const RunData& run, double* bucket_s) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json::json_pointer buckets("/checkers/availability/per_second");
  auto width =
      NumberAt(run.results, nlohmann::json::json_pointer("/checkers/availability/bucket_ns"));
  *bucket_s = width && *width > 0 ? *width / kNsPerS : 1.0;
  if (!run.results.contains(buckets) || !run.results.at(buckets).is_array()) return kEmpty;
  return run.results.at(buckets);
}

std::vector<Band> FaultBands(const RunData& run, bool labels) {
  std::vector<Band> out;
  for (const auto& f : run.timeline.faults) {
    std::string name = f.kind + " " + f.target;
    out.push_back(
        {f.begin / kNsPerS, f.end / kNsPerS, labels ? "fault-lane" : "fault-band",
         labels ? name : "",
         name + ": " + Seconds(f.begin) + " – " + (f.closed ? Seconds(f.end) : "never healed")});
  }
  return out;
}

// Spans of at least two buckets in which input was written and no committed output appeared,
// and the availability checker's longest stall.
std::vector<Band> StallBands(const RunData& run) {
  double bucket_s = 1;
  const nlohmann::json& buckets = PerSecond(run, &bucket_s);
  std::vector<Band> out;
  double begin = -1, end = -1;
  int run_length = 0;
  auto flush = [&] {
    if (run_length >= 2)
      out.push_back(
          {begin, end, "stall-band", "",
           "no committed output: " + FormatNumber(begin, 1) + " – " + FormatNumber(end, 1) + " s"});
    run_length = 0;
  };
  for (const auto& b : buckets) {
    double t = b.value("t", 0.0) / kNsPerS;
    bool stalled = b.value("inputs", 0) > 0 && b.value("outputs", 0) == 0;
    if (!stalled) {
      flush();
      continue;
    }
    if (run_length == 0) begin = t;
    end = t + bucket_s;
    ++run_length;
  }
  flush();
  const nlohmann::json::json_pointer longest("/checkers/availability/longest_stall");
  if (run.results.contains(longest) && run.results.at(longest).is_object()) {
    const auto& s = run.results.at(longest);
    out.push_back({s.value("start", 0.0) / kNsPerS, s.value("end", 0.0) / kNsPerS, "longest-stall",
                   "longest stall", "longest stall: " + FormatNs(s.value("duration_ns", 0.0))});
  }
  return out;
}

std::vector<Band> FailoverBands(const RunData& run) {
  std::vector<Band> out;
  for (const auto& f : run.timeline.failovers) {
    out.push_back({f.begin / kNsPerS, f.end / kNsPerS, "failover-band", "failover",
                   "failover (" + f.target +
                       "): " + FormatNs(static_cast<double>(f.end - f.begin)) +
                       (f.closed ? "" : ", not over by the end of the history")});
  }
  return out;
}

}  // namespace

std::string RateChart(const RunData& run, const TimeAxis& axis, int height) {
  double bucket_s = 1;
  const nlohmann::json& buckets = PerSecond(run, &bucket_s);
  Series in{"input records/s", "s-input", {}, {}};
  Series out{"committed outputs/s", "s-output", {}, {}};
  for (const auto& b : buckets) {
    double x = b.value("t", 0.0) / kNsPerS + bucket_s / 2;
    in.xs.push_back(x);
    out.xs.push_back(x);
    in.ys.push_back(b.value("inputs", 0.0) / bucket_s);
    out.ys.push_back(b.value("outputs", 0.0) / bucket_s);
  }
  LineChartSpec spec{"rate",    "Input and committed-output rate",
                     "rec/s",   height,
                     {in, out}, FaultBands(run, false)};
  return LineChart(axis, spec);
}

std::string LatencyChart(const RunData& run, const TimeAxis& axis, int height) {
  double bucket_s = 1;
  const nlohmann::json& buckets = PerSecond(run, &bucket_s);
  Series p50{"latency p50 (ms)", "s-p50", {}, {}};
  Series p99{"latency p99 (ms)", "s-p99", {}, {}};
  for (const auto& b : buckets) {
    double x = b.value("t", 0.0) / kNsPerS + bucket_s / 2;
    p50.xs.push_back(x);
    p99.xs.push_back(x);
    auto ms = [&](const char* k) -> std::optional<double> {
      auto it = b.find(k);
      if (it == b.end() || !it->is_number()) return std::nullopt;
      return it->get<double>() / 1e6;
    };
    p50.ys.push_back(ms("p50_ns"));
    p99.ys.push_back(ms("p99_ns"));
  }
  LineChartSpec spec{"latency",  "Delivery latency by input time",
                     "ms",       height,
                     {p50, p99}, FaultBands(run, false)};
  return LineChart(axis, spec);
}

std::string EventsChart(const RunData& run, const TimeAxis& axis) {
  std::vector<Lane> lanes;
  // One lane per fault target, in order of first appearance.
  std::vector<Band> faults = FaultBands(run, true);
  for (size_t i = 0; i < faults.size(); ++i) {
    const std::string& target = run.timeline.faults[i].target;
    auto it =
        std::find_if(lanes.begin(), lanes.end(), [&](const Lane& l) { return l.label == target; });
    if (it == lanes.end()) {
      lanes.push_back({target, {}, {}});
      it = lanes.end() - 1;
    }
    it->bands.push_back(faults[i]);
  }
  // Injections that failed: a hollow (dashed) mark on their target's lane.
  for (const auto& f : run.timeline.failed_faults) {
    auto it = std::find_if(lanes.begin(), lanes.end(),
                           [&](const Lane& l) { return l.label == f.target; });
    if (it == lanes.end()) {
      lanes.push_back({f.target, {}, {}});
      it = lanes.end() - 1;
    }
    it->ticks.push_back({f.t / kNsPerS, "fault-failed",
                         f.kind + " " + f.target + " failed to take effect at " +
                             Seconds(static_cast<double>(f.t)) +
                             (f.error.empty() ? "" : ": " + f.error)});
  }
  lanes.push_back({"failover", FailoverBands(run), {}});
  lanes.push_back({"stalls", StallBands(run), {}});
  Lane checkpoints{"checkpoints", {}, {}};
  for (const auto& c : run.timeline.checkpoints) {
    checkpoints.ticks.push_back(
        {c.t / kNsPerS, c.completed ? "checkpoint-completed" : "checkpoint-aborted",
         "chk-" + std::to_string(c.checkpoint) + (c.completed ? " completed" : " aborted") +
             (c.reason.empty() ? "" : ": " + c.reason) + " at " +
             Seconds(static_cast<double>(c.t))});
  }
  lanes.push_back(std::move(checkpoints));
  return LaneChart(axis, "events", "Faults, failovers, stalls and checkpoints", lanes);
}

std::string RenderRunReport(const RunData& run) {
  const std::string verdict = run.verdict();
  const std::string mode = run.mode();
  std::string scenario = run.results.value("scenario", nlohmann::json()).is_string()
                             ? run.results["scenario"].get<std::string>()
                             : run.timeline.scenario;
  std::string out = PageStart("Faultline: " + scenario + " (" + mode + ") " + verdict);
  out += "<div class=\"banner " + verdict + "\" id=\"verdict\" data-verdict=\"" + verdict +
         "\"><h1>" + HtmlEscape(scenario) + " · " + HtmlEscape(mode) + ": " + verdict +
         "</h1><div class=\"sub\">" +
         (run.as_expected() ? "as the scenario expects (" : "NOT as the scenario expects (") +
         HtmlEscape(run.expected) + ") · seed " +
         (run.seed() ? std::to_string(*run.seed()) : std::string("unknown")) + "</div></div>\n";
  if (run.results.contains("unknown_reasons") && run.results["unknown_reasons"].is_array()) {
    for (const auto& r : run.results["unknown_reasons"])
      out += "<p class=\"unknown-reason\">Unknown because: " + HtmlEscape(Plain(r)) + "</p>\n";
  }
  std::string replay = run.ReplayCommand();
  if (!replay.empty())
    out += "<p>Replay this run (same seed, same fault schedule):</p><pre>" + HtmlEscape(replay) +
           "</pre>\n";
  const auto& stats = run.results.value("stats", nlohmann::json::object());
  const nlohmann::json system = run.results.value("system", nlohmann::json());
  std::string sends;
  if (IntAt(stats, "/inputs_failed") + IntAt(stats, "/inputs_unknown") > 0) {
    sends = " (" + std::to_string(IntAt(stats, "/inputs_failed")) + " failed, " +
            std::to_string(IntAt(stats, "/inputs_unknown")) + " of unknown outcome)";
  }
  out += "<p class=\"muted\">" +
         (system.is_string() ? "system " + HtmlEscape(system.get<std::string>()) + " · " : "") +
         "job " + HtmlEscape(Plain(run.results.value("job", nlohmann::json()))) + " · " +
         HtmlEscape(Plain(stats.value("inputs", nlohmann::json()))) + " inputs" + sends + " · " +
         HtmlEscape(Plain(stats.value("outputs", nlohmann::json()))) + " outputs (" +
         HtmlEscape(Plain(stats.value("uncommitted_outputs", nlohmann::json()))) +
         " uncommitted) · " + std::to_string(run.timeline.faults.size()) + " faults · " +
         HtmlEscape(Plain(stats.value("checkpoints_completed", nlohmann::json()))) +
         " checkpoints completed · " + FormatNumber(RunSeconds(run), 1) +
         " s · run directory <code>" + HtmlEscape(run.run_dir) + "</code></p>\n";
  if (run.scenario.is_object()) {
    out += "<details><summary>Scenario</summary><pre>" +
           HtmlEscape(run.scenario.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
           "</pre></details>\n";
  }
  out += AnomalySection(run);
  out += ShrinkSection(run.shrink);
  out += FaultPlanSection(run.plan);
  out += FailedFaultsSection(run);
  out += RestoresWentBackSection(run);
  TimeAxis axis;
  axis.end_s = RunSeconds(run);
  out +=
      "<h2>Timeline</h2>\n<p class=\"small muted\">Seconds since the run started. Red: faults "
      "(hover for kind, target and times); purple: failover (worker lost → job running "
      "again); orange: stalls (input written, no committed output); ticks: checkpoints "
      "completed (green) and aborted (red); dashed ticks on a fault lane: injections that failed "
      "to take effect.</p>\n";
  out += EventsChart(run, axis);
  out += RateChart(run, axis, 200);
  out += LatencyChart(run, axis, 200);
  out += AvailabilitySection(run);
  out += NodesSection(run);
  out +=
      "<p class=\"small muted\">Files: <a href=\"results.json\">results.json</a> · <a "
      "href=\"history.jsonl\">history.jsonl</a> · <a "
      "href=\"scenario.json\">scenario.json</a></p>\n";
  out += PageEnd();
  return out;
}

Result<std::string> WriteRunReport(const std::string& run_dir) {
  ASSIGN_OR_RETURN(RunData run, LoadRunData(run_dir));
  std::string path = JoinPath(run_dir, "report.html");
  RETURN_IF_ERROR(WriteFileAtomic(path, RenderRunReport(run)));
  return path;
}

}  // namespace faultline::reports
