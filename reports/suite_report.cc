#include "reports/suite_report.h"

#include <climits>
#include <cstdlib>
#include <fstream>

#include "base/file.h"
#include "base/json.h"
#include "checkers/registry.h"
#include "reports/html.h"

namespace faultline::reports {
namespace {

std::string CaseMessage(const SuiteCase& c) {
  return c.verdict + ", expected " + c.expected + ": " + c.anomalies;
}

// A link from `dir` to RUN_DIR/report.html: relative when the run lies inside `dir` (so that a
// store can be moved or archived whole), else absolute.
std::string ReportLink(const std::string& run_dir, const std::string& dir) {
  std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  if (dir != "." && run_dir.compare(0, prefix.size(), prefix) == 0)
    return JoinPath(run_dir.substr(prefix.size()), "report.html");
  std::string abs_dir = RealPath(dir) + "/";
  std::string abs_run = RealPath(run_dir);
  if (abs_run.compare(0, abs_dir.size(), abs_dir) == 0)
    return JoinPath(abs_run.substr(abs_dir.size()), "report.html");
  return JoinPath(abs_run, "report.html");
}

// Markdown table cells: pipes and newlines would break the row; HTML is escaped because
// GitHub renders inline HTML in step summaries.
std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : HtmlEscape(s)) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string AnomalySummary(const nlohmann::json& results) {
  std::string out;
  const nlohmann::json found = results.is_object()
                                   ? results.value("checkers", nlohmann::json::object())
                                   : nlohmann::json::object();
  // The anomaly figures in results.json order (the checkers' registry).
  for (const checkers::CheckerSpec& spec : checkers::Checkers()) {
    const std::string checker(spec.name);
    if (!found.contains(checker) || !found[checker].is_object()) continue;
    const auto& c = found[checker];
    for (std::string_view kind : spec.kinds) {
      const std::string figure(kind);
      if (!c.contains(figure) || !c[figure].is_number_integer()) continue;
      int64_t n = c[figure].get<int64_t>();
      if (n == 0) continue;
      if (!out.empty()) out += ", ";
      out += checker + "." + figure + " " + std::to_string(n);
    }
  }
  if (results.is_object() && results.contains("unknown_reasons") &&
      results["unknown_reasons"].is_array()) {
    for (const auto& r : results["unknown_reasons"]) {
      if (!out.empty()) out += ", ";
      out += "unknown: " + (r.is_string() ? r.get<std::string>() : r.dump());
    }
  }
  return out.empty() ? "no anomalies" : out;
}

std::string AnomalySummaryOfRun(const std::string& run_dir) {
  auto results = ReadJsonFile(JoinPath(run_dir, "results.json"));
  if (!results.ok()) return "results.json unreadable: " + results.status().message();
  return AnomalySummary(*results);
}

std::string RenderJunit(const std::vector<SuiteCase>& cases) {
  int failures = 0, errors = 0, skipped = 0;
  std::string body;
  for (const auto& c : cases) {
    if (!c.skipped.empty()) {
      ++skipped;
      body += "  <testcase classname=\"faultline." + HtmlEscape(c.scenario) +
              "\" name=\"run\"><skipped message=\"" + HtmlEscape(c.skipped) + "\"/></testcase>\n";
      continue;
    }
    if (!c.error.empty()) {
      ++errors;
      body += "  <testcase classname=\"faultline." + HtmlEscape(c.scenario) + "\" name=\"" +
              HtmlEscape(c.mode.empty() ? "run" : c.mode) + "\"><error message=\"" +
              HtmlEscape(c.error) + "\"/></testcase>\n";
      continue;
    }
    body += "  <testcase classname=\"faultline." + HtmlEscape(c.scenario) + "\" name=\"" +
            HtmlEscape(c.mode) + "\">";
    if (!c.as_expected) {
      ++failures;
      body += "<failure message=\"" + HtmlEscape(CaseMessage(c)) + "\">" +
              HtmlEscape(c.summary + "run: " + c.run_dir) + "</failure>";
    }
    body += "<system-out>" + HtmlEscape("run: " + c.run_dir + "\n") + "</system-out></testcase>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"faultline\" tests=\"" +
         std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
         "\">\n" + body + "</testsuite>\n";
}

std::string RenderSuiteMarkdown(const std::vector<SuiteCase>& cases) {
  int bad = 0;
  for (const auto& c : cases) bad += c.skipped.empty() && (!c.error.empty() || !c.as_expected);
  std::string out = "## Faultline suite: " +
                    (bad == 0 ? std::string("every run as expected")
                              : std::to_string(bad) + " of " + std::to_string(cases.size()) +
                                    " not as expected") +
                    "\n\n| scenario | mode | verdict | expected | anomalies | run |\n"
                    "|---|---|---|---|---|---|\n";
  for (const auto& c : cases) {
    if (!c.skipped.empty()) {
      out += "| " + MdCell(c.scenario) + " | – | skipped | – | " + MdCell(c.skipped) + " | – |\n";
      continue;
    }
    if (!c.error.empty()) {
      out += "| " + MdCell(c.scenario) + " | – | :x: error | – | " + MdCell(c.error) + " | – |\n";
      continue;
    }
    out += "| " + MdCell(c.scenario) + " | " + MdCell(c.mode) + " | " +
           (c.as_expected ? ":white_check_mark: " : ":x: ") + MdCell(c.verdict) + " | " +
           MdCell(c.expected) + " | " + MdCell(c.anomalies) + " | `" + MdCell(c.run_dir) + "` |\n";
  }
  return out;
}

std::string RenderSuiteIndex(const std::vector<SuiteCase>& cases, const std::string& index_dir) {
  int bad = 0;
  for (const auto& c : cases) bad += c.skipped.empty() && (!c.error.empty() || !c.as_expected);
  std::string out = PageStart("Faultline suite");
  out += std::string("<div class=\"banner ") + (bad == 0 ? "valid" : "invalid") +
         "\" id=\"verdict\"><h1>Suite: " +
         (bad == 0
              ? "every run as expected"
              : std::to_string(bad) + " of " + std::to_string(cases.size()) + " not as expected") +
         "</h1></div>\n<table class=\"suite\"><tr><th>scenario</th><th>mode</th><th>verdict</th>"
         "<th>expected</th><th>anomalies</th><th>report</th></tr>\n";
  for (const auto& c : cases) {
    if (!c.skipped.empty()) {
      out += "<tr><td>" + HtmlEscape(c.scenario) +
             "</td><td>–</td><td><span class=\"tag\">skipped</span></td><td>–</td><td>" +
             HtmlEscape(c.skipped) + "</td><td>–</td></tr>\n";
      continue;
    }
    if (!c.error.empty()) {
      out += "<tr class=\"bad\"><td>" + HtmlEscape(c.scenario) +
             "</td><td>–</td><td><span class=\"tag no\">error</span></td><td>–</td><td>" +
             HtmlEscape(c.error) + "</td><td>–</td></tr>\n";
      continue;
    }
    std::string href = UrlPathEscape(ReportLink(c.run_dir, index_dir));
    out += std::string("<tr class=\"suite-row ") + (c.as_expected ? "" : "bad") + "\"><td>" +
           HtmlEscape(c.scenario) + "</td><td>" + HtmlEscape(c.mode) +
           "</td><td><span class=\"tag " + HtmlEscape(c.verdict) + "\">" + HtmlEscape(c.verdict) +
           "</span></td><td>" + HtmlEscape(c.expected) +
           (c.as_expected ? "" : " <span class=\"tag no\">no</span>") + "</td><td>" +
           HtmlEscape(c.anomalies) + "</td><td><a href=\"" + HtmlEscape(href) +
           "\">report</a></td></tr>\n";
  }
  out += "</table>\n" + PageEnd();
  return out;
}

Status WriteSuiteReports(const std::vector<SuiteCase>& cases, const std::string& out_dir,
                         const std::string& junit_path) {
  RETURN_IF_ERROR(CreateDirs(out_dir));
  RETURN_IF_ERROR(
      WriteFileAtomic(JoinPath(out_dir, "index.html"), RenderSuiteIndex(cases, out_dir)));
  std::string md = RenderSuiteMarkdown(cases);
  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(out_dir, "summary.md"), md));
  if (!junit_path.empty()) RETURN_IF_ERROR(WriteFileAtomic(junit_path, RenderJunit(cases)));
  if (const char* step = std::getenv("GITHUB_STEP_SUMMARY"); step != nullptr && *step != '\0') {
    std::ofstream out(step, std::ios::app);
    out << md << "\n";
    if (!out)
      return Status::IoError(std::string("appending to $GITHUB_STEP_SUMMARY ") + step, errno);
  }
  return Status::Ok();
}

}  // namespace faultline::reports
