// `faultline report` on stored runs: a single run, a multi-mode base directory (each mode's
// report, the comparison report and the table), and runs with missing or malformed files.
#include <gtest/gtest.h>

#include <string>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline {
namespace {

// A small exactly-once history under `mode`: input 2 is never delivered (lost), a kill of
// worker-1 from 1 s to 2 s, and a fault target carrying markup.
std::string History(const std::string& mode, bool lose_one) {
  std::string h = "{\"type\":\"meta\",\"scenario\":\"cli\",\"mode\":\"" + mode +
                  "\",\"job\":\"count\",\"seed\":5}\n"
                  "{\"t\":1000,\"type\":\"phase\",\"phase\":\"generate\"}\n";
  for (int id = 0; id < 3; ++id) {
    h += "{\"t\":" + std::to_string(10'000'000 * (id + 1)) +
         ",\"type\":\"input\",\"id\":" + std::to_string(id) +
         ",\"key\":\"k\",\"partition\":0,\"offset\":" + std::to_string(id) +
         ",\"event_time\":0,\"value\":1}\n";
  }
  h += "{\"t\":1000000000,\"type\":\"fault\",\"fault\":\"kill\",\"target\":\"<b>w1</b>\","
       "\"phase\":\"begin\"}\n"
       "{\"t\":2000000000,\"type\":\"fault\",\"fault\":\"kill\",\"target\":\"<b>w1</b>\","
       "\"phase\":\"end\"}\n";
  for (int id = 0; id < (lose_one ? 2 : 3); ++id) {
    h += "{\"t\":" + std::to_string(2'500'000'000 + id) +
         ",\"type\":\"output\",\"id\":" + std::to_string(id) +
         ",\"key\":\"k\",\"count\":" + std::to_string(id + 1) + ",\"committed\":true}\n";
  }
  h += "{\"t\":3000000000,\"type\":\"phase\",\"phase\":\"heal\"}\n"
       "{\"t\":3100000000,\"type\":\"phase\",\"phase\":\"final-read\"}\n"
       "{\"t\":3200000000,\"type\":\"phase\",\"phase\":\"done\"}\n";
  return h;
}

void MakeRun(const std::string& dir, const std::string& mode, bool lose_one) {
  ASSERT_TRUE(CreateDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/history.jsonl", History(mode, lose_one)).ok());
  CommandResult r = RunCommand(BinPath("faultline") + " check " + dir);
  ASSERT_NE(r.exit_code, 2) << r.out;
}

TEST(ReportCommand, RedrawsASingleRun) {
  TempDir dir;
  std::string run = dir.File("run");
  MakeRun(run, "exactly-once", true);
  CommandResult r = RunCommand(BinPath("faultline") + " report " + run);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto html = ReadFileToString(run + "/report.html");
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("data-verdict=\"invalid\""), std::string::npos);
  EXPECT_NE(html->find("delivery.lost: 1 of 1 examples"), std::string::npos);
  EXPECT_NE(html->find("&lt;b&gt;w1&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html->find("<b>w1"), std::string::npos);
}

TEST(ReportCommand, MultiModeDirectoryGetsAComparison) {
  TempDir dir;
  MakeRun(dir.File("at-most-once"), "at-most-once", true);
  MakeRun(dir.File("exactly-once"), "exactly-once", false);
  CommandResult r = RunCommand(BinPath("faultline") + " report " + dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* f : {"report.html", "at-most-once/report.html", "exactly-once/report.html"})
    EXPECT_TRUE(PathExists(dir.File(f))) << f;
  EXPECT_NE(r.out.find("throughput"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("valid (as expected)"), std::string::npos) << r.out;
  auto html = ReadFileToString(dir.File("report.html"));
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("href=\"at-most-once/report.html\""), std::string::npos);
}

TEST(ReportCommand, MissingAndMalformedFilesAreNamed) {
  TempDir dir;
  CommandResult missing = RunCommand(BinPath("faultline") + " report " + dir.path());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find(dir.File("results.json")), std::string::npos) << missing.out;

  MakeRun(dir.File("run"), "exactly-once", false);
  ASSERT_TRUE(WriteFileAtomic(dir.File("run/history.jsonl"), "{\"type\":\"meta\"}\n{oops\n").ok());
  CommandResult malformed = RunCommand(BinPath("faultline") + " report " + dir.File("run"));
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.out.find(dir.File("run/history.jsonl") + ": line 2"), std::string::npos)
      << malformed.out;
}

}  // namespace
}  // namespace faultline
