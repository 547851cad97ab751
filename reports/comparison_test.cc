#include "reports/comparison.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/test_util.h"
#include "checkers/synthetic_history.h"
#include "reports/report_testing.h"
#include "reports/suite_report.h"

namespace faultline::reports {
namespace {

using testing::CountOf;

std::string Synthetic(checkers::Mode mode) {
  checkers::SyntheticOptions o;
  o.mode = mode;
  o.inputs = 3000;
  return checkers::FormatHistory(checkers::GenerateSyntheticLines(o), o);
}

// A synthetic at-least-once history with the output of input 5 committed twice.
std::string WithDuplicate() {
  std::string text = Synthetic(checkers::Mode::kAtLeastOnce);
  size_t p = text.find("\"type\":\"output\",\"id\":5,");
  size_t start = text.rfind('\n', p) + 1;
  size_t end = text.find('\n', p) + 1;
  return text.insert(end, text.substr(start, end - start));
}

TEST(ComparisonTable, OneRowPerModeWithEveryColumn) {
  std::vector<ComparisonRow> rows = {
      RowOf(testing::MakeRun(WithDuplicate(), "a")),
      RowOf(testing::MakeRun(Synthetic(checkers::Mode::kExactlyOnce), "b"))};
  EXPECT_EQ(rows[0].figures.duplicated, 1);
  EXPECT_EQ(rows[0].verdict, "valid");  // at-least-once allows duplicates
  std::string table = FormatComparisonTable(rows);
  EXPECT_EQ(CountOf(table, "\n"), 3) << table;
  for (const char* h : {"mode", "lost", "duplicated", "state", "order", "p50", "p99", "throughput",
                        "recovery", "verdict"}) {
    EXPECT_NE(table.find(h), std::string::npos) << h;
  }
  EXPECT_NE(table.find("at-least-once"), std::string::npos);
  EXPECT_NE(table.find("valid (as expected)"), std::string::npos);
  // Columns line up: every line has its verdict column at the same code point.
  auto first = table.find("verdict");
  auto second = table.find("valid (as", first);
  EXPECT_EQ(first, second - table.find('\n') - 1) << table;
}

TEST(ComparisonReport, ModesTableAndSmallMultiples) {
  TempDir dir;
  testing::WriteRunDir(dir.File("at-least-once"), WithDuplicate());
  testing::WriteRunDir(dir.File("exactly-once"), Synthetic(checkers::Mode::kExactlyOnce));
  testing::WriteRunDir(dir.File("at-most-once"), Synthetic(checkers::Mode::kAtMostOnce));
  EXPECT_TRUE(IsMultiModeDir(dir.path()));
  EXPECT_FALSE(IsMultiModeDir(dir.File("exactly-once")));
  auto path = WriteComparisonReport(dir.path());
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  auto html = ReadFileToString(*path);
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(CountOf(*html, "<tr class=\"mode-row"), 3);
  EXPECT_EQ(CountOf(*html, "<section class=\"multiple\""), 3);
  EXPECT_EQ(CountOf(*html, "<svg class=\"chart\""), 9);
  // Modes in their usual order, each linked to its own report.
  size_t amo = html->find("href=\"at-most-once/report.html\"");
  size_t alo = html->find("href=\"at-least-once/report.html\"");
  size_t eo = html->find("href=\"exactly-once/report.html\"");
  ASSERT_NE(eo, std::string::npos);
  EXPECT_LT(amo, alo);
  EXPECT_LT(alo, eo);
}

TEST(ComparisonReport, EmptyDirectoryIsAnError) {
  TempDir dir;
  auto path = WriteComparisonReport(dir.path());
  ASSERT_FALSE(path.ok());
  EXPECT_NE(path.status().message().find(dir.path()), std::string::npos);
}

TEST(SuiteReport, JunitHasOneCasePerScenarioAndMode) {
  std::vector<SuiteCase> cases;
  SuiteCase ok{"kill-worker", "exactly-once", "valid", "valid", true,
               "store/k/1",   "no anomalies", "",      "",      ""};
  SuiteCase bad{"kill-worker",     "at-least-once",      "invalid", "valid", false, "store/k/2",
                "delivery.lost 3", "verdict: invalid\n", "",        ""};
  SuiteCase err{"<broken>", "", "", "valid", false, "", "", "", "bad scenario \"x\"", ""};
  SuiteCase skip{"netns", "", "", "valid", false, "", "", "", "", "needs root"};
  cases = {ok, bad, err, skip};
  std::string xml = RenderJunit(cases);
  EXPECT_EQ(CountOf(xml, "<testcase "), 4);
  EXPECT_NE(xml.find("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"needs root\"/>"), std::string::npos);
  EXPECT_NE(xml.find("classname=\"faultline.kill-worker\" name=\"at-least-once\""),
            std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"invalid, expected valid: delivery.lost 3\""),
            std::string::npos);
  EXPECT_NE(xml.find("faultline.&lt;broken&gt;"), std::string::npos);
  EXPECT_NE(xml.find("bad scenario &quot;x&quot;"), std::string::npos);

  std::string md = RenderSuiteMarkdown(cases);
  EXPECT_NE(md.find("2 of 4 not as expected"), std::string::npos);  // a skip is not a failure
  EXPECT_EQ(CountOf(md, "\n| "), 5);                                // the header and four cases
  EXPECT_NE(md.find("skipped | – | needs root"), std::string::npos);

  std::string index = RenderSuiteIndex(cases, "store");
  EXPECT_NE(index.find("href=\"k/2/report.html\""), std::string::npos);
  EXPECT_EQ(index.find("<broken>"), std::string::npos);
}

TEST(SuiteReport, AnomalySummaryNamesNonZeroFigures) {
  RunData run = testing::MakeRun(WithDuplicate());
  EXPECT_EQ(AnomalySummary(run.results), "delivery.duplicated 1");
  RunData clean = testing::MakeRun(Synthetic(checkers::Mode::kExactlyOnce));
  EXPECT_EQ(AnomalySummary(clean.results), "no anomalies");
}

TEST(SuiteReport, WritesIndexSummaryAndJunit) {
  TempDir dir;
  std::string step = dir.File("step-summary.md");
  setenv("GITHUB_STEP_SUMMARY", step.c_str(), 1);
  std::vector<SuiteCase> cases = {
      {"s", "exactly-once", "valid", "valid", true, dir.File("s/1"), "no anomalies", "", "", ""}};
  ASSERT_TRUE(WriteSuiteReports(cases, dir.path(), dir.File("junit.xml")).ok());
  unsetenv("GITHUB_STEP_SUMMARY");
  for (const char* f : {"index.html", "summary.md", "junit.xml", "step-summary.md"})
    EXPECT_TRUE(PathExists(dir.File(f))) << f;
  auto index = ReadFileToString(dir.File("index.html"));
  EXPECT_NE(index->find("href=\"s/1/report.html\""), std::string::npos);
}

}  // namespace
}  // namespace faultline::reports
