#include "reports/comparison.h"

#include <algorithm>
#include <cstdio>

#include "base/file.h"
#include "reports/charts.h"
#include "reports/html.h"

namespace faultline::reports {
namespace {

int ModeRank(const std::string& mode) {
  if (mode == "at-most-once") return 0;
  if (mode == "at-least-once") return 1;
  if (mode == "exactly-once") return 2;
  return 3;
}

std::string Rate(const std::optional<double>& v) { return v ? FormatNumber(*v, 0) + "/s" : "–"; }

std::string VerdictCell(const ComparisonRow& r) {
  return r.verdict + (r.as_expected ? " (as expected)" : " (expected " + r.expected + ")");
}

}  // namespace

ComparisonRow RowOf(const RunData& run) {
  ComparisonRow row;
  row.mode = run.mode();
  row.verdict = run.verdict();
  row.expected = run.expected;
  row.as_expected = run.as_expected();
  row.figures = FiguresOf(run);
  row.run_dir = run.run_dir;
  return row;
}

std::string FormatComparisonTable(const std::vector<ComparisonRow>& rows) {
  const char* headers[] = {"mode", "lost", "duplicated", "state",    "order",
                           "p50",  "p99",  "throughput", "recovery", "verdict"};
  std::vector<std::vector<std::string>> cells;
  cells.emplace_back(std::begin(headers), std::end(headers));
  for (const auto& r : rows) {
    const RunFigures& f = r.figures;
    cells.push_back({r.mode, std::to_string(f.lost), std::to_string(f.duplicated),
                     std::to_string(f.state_anomalies), std::to_string(f.order_violations),
                     FormatNs(f.p50_ns), FormatNs(f.p99_ns), Rate(f.throughput),
                     FormatNs(f.recovery_ns), VerdictCell(r)});
  }
  // Widths in code points: "µs" and "–" are two and three bytes of UTF-8.
  auto width = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  std::vector<size_t> widths(std::size(headers), 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      bool left = i == 0 || i + 1 == row.size();
      std::string pad(widths[i] - width(row[i]), ' ');
      line += left ? row[i] + pad : pad + row[i];
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

Result<std::string> FormatComparisonTableOf(const std::vector<std::string>& run_dirs) {
  std::vector<ComparisonRow> rows;
  for (const auto& dir : run_dirs) {
    ASSIGN_OR_RETURN(RunData run, LoadRunData(dir));
    rows.push_back(RowOf(run));
  }
  return FormatComparisonTable(rows);
}

bool IsMultiModeDir(const std::string& dir) {
  if (PathExists(JoinPath(dir, "results.json"))) return false;
  auto names = ListDir(dir);
  if (!names.ok()) return false;
  return std::any_of(names->begin(), names->end(), [&](const std::string& n) {
    return PathExists(JoinPath(JoinPath(dir, n), "results.json"));
  });
}

Result<std::vector<RunData>> LoadModeRuns(const std::string& base_dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(base_dir));
  std::vector<RunData> runs;
  for (const auto& n : names) {
    std::string dir = JoinPath(base_dir, n);
    if (!PathExists(JoinPath(dir, "results.json"))) continue;
    ASSIGN_OR_RETURN(RunData run, LoadRunData(dir));
    runs.push_back(std::move(run));
  }
  if (runs.empty()) return Status::NotFound(base_dir + ": no mode directory with a results.json");
  std::stable_sort(runs.begin(), runs.end(), [](const RunData& a, const RunData& b) {
    return ModeRank(a.mode()) < ModeRank(b.mode());
  });
  return runs;
}

std::string RenderComparisonReport(const std::string& base_dir, const std::vector<RunData>& runs) {
  std::string scenario = runs.empty() ? "" : runs[0].timeline.scenario;
  if (!runs.empty() && runs[0].results.contains("scenario") &&
      runs[0].results["scenario"].is_string())
    scenario = runs[0].results["scenario"].get<std::string>();
  bool all_expected =
      std::all_of(runs.begin(), runs.end(), [](const RunData& r) { return r.as_expected(); });
  std::string out = PageStart("Faultline: " + scenario + " — modes compared");
  const char* cls = all_expected ? "valid" : "invalid";
  out +=
      std::string("<div class=\"banner ") + cls + "\" id=\"verdict\" data-verdict=\"" +
      (all_expected ? "as-expected" : "unexpected") + "\"><h1>" + HtmlEscape(scenario) + ": " +
      std::to_string(runs.size()) + " modes, " +
      (all_expected ? "every one as expected" : "NOT every one as expected") +
      "</h1><div class=\"sub\">seed " +
      (runs.empty() || !runs[0].seed() ? std::string("unknown") : std::to_string(*runs[0].seed())) +
      " · one fault schedule, one run per mode</div></div>\n";
  std::string replay = runs.empty() || runs[0].scenario_path.empty()
                           ? ""
                           : "faultline run " + JoinPath(base_dir, "scenario.json");
  if (!replay.empty()) out += "<p>Replay every mode:</p><pre>" + HtmlEscape(replay) + "</pre>\n";
  out +=
      "<h2>Modes</h2>\n<table "
      "class=\"comparison\"><tr><th>mode</th><th>lost</th><th>duplicated</th>"
      "<th>state anomalies</th><th>order violations</th><th>latency p50</th><th>latency p99</th>"
      "<th>throughput</th><th>recovery</th><th>verdict</th><th>expected</th></tr>\n";
  for (const auto& run : runs) {
    ComparisonRow r = RowOf(run);
    const RunFigures& f = r.figures;
    std::string rel = run.run_dir.substr(std::min(run.run_dir.size(), base_dir.size() + 1));
    out += "<tr class=\"mode-row " + std::string(r.as_expected ? "" : "bad") + "\"><td><a href=\"" +
           HtmlEscape(UrlPathEscape(rel + "/report.html")) + "\">" + HtmlEscape(r.mode) +
           "</a></td><td class=\"num\">" + std::to_string(f.lost) + "</td><td class=\"num\">" +
           std::to_string(f.duplicated) + "</td><td class=\"num\">" +
           std::to_string(f.state_anomalies) + "</td><td class=\"num\">" +
           std::to_string(f.order_violations) + "</td><td class=\"num\">" + FormatNs(f.p50_ns) +
           "</td><td class=\"num\">" + FormatNs(f.p99_ns) + "</td><td class=\"num\">" +
           HtmlEscape(Rate(f.throughput)) + "</td><td class=\"num\">" + FormatNs(f.recovery_ns) +
           "</td><td><span class=\"tag " + r.verdict + "\">" + r.verdict +
           "</span></td><td><span class=\"tag " +
           (r.as_expected ? "yes\">yes" : "no\">no: expected " + HtmlEscape(r.expected)) +
           "</span></td></tr>\n";
  }
  out +=
      "</table>\n<p class=\"small muted\">Each mode is judged against its own promise: "
      "at-most-once may lose but never duplicate, at-least-once may duplicate but never lose, "
      "exactly-once may do neither and its state must be clean. Throughput: committed outputs "
      "per second of the generate phase. Recovery: the longest time from a fault's start to the "
      "first committed output of an input written after it.</p>\n";
  TimeAxis axis;
  axis.end_s = 1;
  for (const auto& run : runs) axis.end_s = std::max(axis.end_s, RunSeconds(run));
  out +=
      "<h2>Side by side</h2>\n<p class=\"small muted\">One time axis for every mode (seconds "
      "since each run started).</p>\n<div class=\"multiples\">\n";
  for (const auto& run : runs) {
    out += "<section class=\"multiple\" data-mode=\"" + HtmlEscape(run.mode()) + "\"><h3>" +
           HtmlEscape(run.mode()) + " <span class=\"tag " + run.verdict() + "\">" + run.verdict() +
           "</span></h3>\n";
    out += EventsChart(run, axis);
    out += RateChart(run, axis, 140);
    out += LatencyChart(run, axis, 140);
    out += "</section>\n";
  }
  out += "</div>\n" + PageEnd();
  return out;
}

Result<std::string> WriteComparisonReport(const std::string& base_dir) {
  ASSIGN_OR_RETURN(std::vector<RunData> runs, LoadModeRuns(base_dir));
  std::string path = JoinPath(base_dir, "report.html");
  RETURN_IF_ERROR(WriteFileAtomic(path, RenderComparisonReport(base_dir, runs)));
  return path;
}

}  // namespace faultline::reports
