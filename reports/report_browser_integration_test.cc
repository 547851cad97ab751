// Loads a generated report.html in headless Chromium: no console errors, the charts are laid
// out with a real size (measured in the browser), and a screenshot is kept as a test
// artifact in BUILD_DIR/test-artifacts/report_browser/. Skipped when chromium is absent.
#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>

#include "base/file.h"
#include "base/test_util.h"
#include "checkers/synthetic_history.h"
#include "reports/comparison.h"
#include "reports/report_testing.h"
#include "reports/run_report.h"

namespace faultline::reports {
namespace {

std::string FindChromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    CommandResult r = RunCommand(std::string("command -v ") + name + " 2>/dev/null");
    if (r.exit_code == 0 && !r.out.empty()) {
      std::string path = r.out.substr(0, r.out.find('\n'));
      if (!path.empty()) return path;
    }
  }
  return "";
}

std::string Absolute(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

std::string ArtifactDir() {
  const char* bin = std::getenv("FAULTLINE_BIN_DIR");
  std::string base = bin != nullptr ? JoinPath(DirName(bin), "test-artifacts") : "test-artifacts";
  return JoinPath(base, "report_browser");
}

std::string History(checkers::Mode mode) {
  checkers::SyntheticOptions o;
  o.mode = mode;
  o.inputs = 20'000;  // 20 s at one input per ms: a few dozen buckets per chart
  o.faults = 3;
  return checkers::FormatHistory(checkers::GenerateSyntheticLines(o), o);
}

// A page that loads `report` in an iframe (same origin under --allow-file-access-from-files)
// and writes what the browser laid out into <pre id="probe">: the number of charts and of
// drawn lines with a non-zero size. Test-only: the report itself carries no script.
std::string ProbePage(const std::string& report) {
  return R"(<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>probe</title></head><body><pre id="probe">pending</pre>
<iframe id="f" src=")" +
         report + R"(" width="1100" height="3000"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentDocument, out = [];
  var charts = d.querySelectorAll('svg.chart'), sized = 0, lines = 0;
  charts.forEach(function (c) { var r = c.getBoundingClientRect(); if (r.width > 100 && r.height > 40) sized++; });
  d.querySelectorAll('svg.chart polyline').forEach(function (p) { if (p.getTotalLength() > 10) lines++; });
  out.push('charts=' + charts.length, 'sized=' + sized, 'lines=' + lines,
           'bands=' + d.querySelectorAll('svg.chart rect.fault-lane').length);
  document.getElementById('probe').textContent = out.join(' ');
});
</script></body></html>
)";
}

struct Chromium {
  std::string binary;
  std::string Run(const std::string& flags, const std::string& url, const std::string& log,
                  int* exit_code) const {
    std::string cmd = "timeout 120 " + binary +
                      " --headless --no-sandbox --disable-gpu --no-first-run "
                      "--disable-dev-shm-usage --enable-logging=stderr --v=0 "
                      "--user-data-dir=" +
                      JoinPath(DirName(log), "profile") + " " + flags + " '" + url + "' 2>'" + log +
                      "'";
    CommandResult r = RunCommand(cmd);
    *exit_code = r.exit_code;
    return r.out;
  }
};

// Console messages and uncaught exceptions as Chromium logs them on stderr.
std::vector<std::string> ConsoleErrors(const std::string& log) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start);
    if (line.find("CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos)
      out.push_back(line);
    start = end + 1;
  }
  return out;
}

TEST(ReportBrowser, LoadsWithoutErrorsAndChartsRender) {
  std::string binary = FindChromium();
  if (binary.empty()) {
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/test.sh tries)";
  }
  const std::string dir = ArtifactDir();
  (void)RemoveAll(dir);
  ASSERT_TRUE(CreateDirs(dir).ok());
  const std::string run_dir = JoinPath(dir, "exactly-once");
  testing::WriteRunDir(run_dir, History(checkers::Mode::kExactlyOnce));
  testing::WriteRunDir(JoinPath(dir, "at-least-once"), History(checkers::Mode::kAtLeastOnce));
  auto report = WriteRunReport(run_dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(WriteRunReport(JoinPath(dir, "at-least-once")).ok());
  auto comparison = WriteComparisonReport(dir);
  ASSERT_TRUE(comparison.ok()) << comparison.status().ToString();
  Chromium chromium{binary};

  for (const std::string& page : {*report, *comparison}) {
    SCOPED_TRACE(page);
    std::string abs = Absolute(page);
    int code = 0;
    std::string log = page + ".chromium.log";
    std::string dom = chromium.Run("--dump-dom", "file://" + abs, log, &code);
    ASSERT_EQ(code, 0) << dom;
    EXPECT_NE(dom.find("<svg class=\"chart\""), std::string::npos);
    EXPECT_NE(dom.find("<polyline"), std::string::npos);
    auto errors = ConsoleErrors(*ReadFileToString(log));
    EXPECT_TRUE(errors.empty()) << errors.front();
    (void)chromium.Run("--screenshot=" + page + ".png --window-size=1200,2400 --hide-scrollbars",
                       "file://" + abs, log + ".screenshot", &code);
    EXPECT_EQ(code, 0);
    auto size = FileSize(page + ".png");
    ASSERT_TRUE(size.ok()) << "no screenshot at " << page << ".png";
    EXPECT_GT(*size, 10'000u);  // a blank page compresses to far less
  }

  // Measured by the browser: every chart laid out with a real size and lines drawn.
  std::string abs_report = Absolute(*report);
  std::string probe = JoinPath(run_dir, "probe.html");
  ASSERT_TRUE(WriteFileAtomic(probe, ProbePage("report.html")).ok());
  int code = 0;
  std::string dom = chromium.Run(
      "--allow-file-access-from-files --virtual-time-budget=5000 --dump-dom",
      "file://" + JoinPath(DirName(abs_report), "probe.html"), probe + ".chromium.log", &code);
  ASSERT_EQ(code, 0);
  EXPECT_NE(dom.find("charts=3 sized=3"), std::string::npos) << dom.substr(0, 400);
  size_t lines = dom.find("lines=");
  ASSERT_NE(lines, std::string::npos) << dom.substr(0, 400);
  EXPECT_GE(std::atoi(dom.c_str() + lines + 6), 4);  // input, output, p50, p99
  EXPECT_EQ(dom.find("bands=0"), std::string::npos);
}

}  // namespace
}  // namespace faultline::reports
