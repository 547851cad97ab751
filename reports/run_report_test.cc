#include "reports/run_report.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/test_util.h"
#include "checkers/synthetic_history.h"
#include "checkers/testing.h"
#include "reports/report_testing.h"

namespace faultline::reports {
namespace {

using checkers::testing::HistoryText;
using testing::CountOf;
using testing::MakeRun;
using testing::Quote;

// exactly-once with one lost input (id 2) and one duplicated output (id 1), a kill of
// worker-1 with a failover, two completed checkpoints and one aborted.
std::string BrokenHistory(const std::string& target = "worker-1", const std::string& key = "k1") {
  HistoryText h;
  h.Meta("exactly-once").Phase(1'000'000, "generate");
  h.Input(10'000'000, 0, "k0").Input(20'000'000, 1, "k0");
  h.Line("{\"t\":30000000,\"type\":\"input\",\"id\":2,\"key\":" + Quote(key) +
         ",\"partition\":0,\"offset\":2,\"event_time\":0,\"value\":1}");
  h.Checkpoint(500'000'000, 1);
  h.Output(510'000'000, 0, "k0", 1).Output(520'000'000, 1, "k0", 2);
  h.Line("{\"t\":1000000000,\"type\":\"fault\",\"fault\":\"kill\",\"target\":" + Quote(target) +
         ",\"phase\":\"begin\"}");
  h.Line(
      "{\"t\":1100000000,\"type\":\"runtime\",\"node\":\"coordinator\",\"event\":\"worker-lost\","
      "\"worker\":\"worker-1\",\"reason\":\"eof\"}");
  h.Line(
      "{\"t\":1150000000,\"type\":\"runtime\",\"node\":\"coordinator\",\"event\":"
      "\"checkpoint-aborted\",\"checkpoint\":2,\"reason\":\"failover\"}");
  h.Line("{\"t\":2000000000,\"type\":\"fault\",\"fault\":\"kill\",\"target\":" + Quote(target) +
         ",\"phase\":\"end\"}");
  h.Line(
      "{\"t\":2500000000,\"type\":\"runtime\",\"node\":\"coordinator\",\"event\":\"job-running\","
      "\"attempt\":2}");
  h.Input(2'200'000'000, 3, "k0");
  h.Checkpoint(3'000'000'000, 3);
  h.Output(3'010'000'000, 1, "k0", 2).Output(3'020'000'000, 3, "k0", 3);
  h.Phase(3'500'000'000, "heal").FinalRead(4'000'000'000);
  return h.str();
}

TEST(Timeline, FaultsFailoversAndCheckpoints) {
  auto t = ParseTimeline(BrokenHistory());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->faults.size(), 1u);
  EXPECT_EQ(t->faults[0].kind, "kill");
  EXPECT_EQ(t->faults[0].target, "worker-1");
  EXPECT_EQ(t->faults[0].begin, 1'000'000'000);
  EXPECT_EQ(t->faults[0].end, 2'000'000'000);
  ASSERT_EQ(t->failovers.size(), 1u);
  EXPECT_EQ(t->failovers[0].begin, 1'100'000'000);
  EXPECT_EQ(t->failovers[0].end, 2'500'000'000);
  ASSERT_EQ(t->checkpoints.size(), 3u);
  EXPECT_FALSE(t->checkpoints[1].completed);
  EXPECT_EQ(t->checkpoints[1].reason, "failover");
  EXPECT_EQ(t->scenario, "test");
  EXPECT_EQ(t->seed, 7u);
  auto generate = t->PhaseSpan("generate");
  ASSERT_TRUE(generate.has_value());
  EXPECT_EQ(generate->second, 3'500'000'000);
}

TEST(Timeline, StoppingTheClusterIsNoFailover) {
  HistoryText h;
  h.Meta("exactly-once").Phase(10, "final-read");
  h.Line(
      "{\"t\":20,\"type\":\"runtime\",\"node\":\"coordinator\",\"event\":\"worker-lost\","
      "\"worker\":\"worker-1\"}");
  h.Phase(30, "done");
  auto t = ParseTimeline(h.str());
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->failovers.empty());
}

TEST(Timeline, UnhealedFaultRunsToTheEnd) {
  HistoryText h;
  h.Meta("exactly-once").Fault(5, "pause", "worker-2", "begin").Phase(90, "done");
  auto t = ParseTimeline(h.str());
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->faults.size(), 1u);
  EXPECT_FALSE(t->faults[0].closed);
  EXPECT_EQ(t->faults[0].end, 90);
}

TEST(Timeline, PairsFaultsLikeTheCheckersAndKeepsFailedOnes) {
  HistoryText h;
  h.Meta("exactly-once").Fault(5, "pause", "worker-2", "begin");
  h.Fault(6, "pause", "worker-2", "begin");  // already active: the first begin holds
  h.Fault(8, "pause", "worker-2", "end").Fault(9, "pause", "worker-2", "end");
  h.Line(R"({"t":10,"type":"fault","fault":"kill","target":"worker-1","phase":"failed",)"
         R"("error":"<no such process>"})");
  h.Phase(90, "done");
  auto t = ParseTimeline(h.str());
  ASSERT_TRUE(t.ok());
  auto checked = checkers::ParseHistory(h.str());
  ASSERT_TRUE(checked.ok());
  ASSERT_EQ(t->faults.size(), 1u);
  ASSERT_EQ(checked->faults.size(), 1u);
  EXPECT_EQ(t->faults[0].begin, checked->faults[0].begin);
  EXPECT_EQ(t->faults[0].end, checked->faults[0].end);
  EXPECT_TRUE(t->faults[0].closed);
  ASSERT_EQ(t->failed_faults.size(), 1u);
  EXPECT_EQ(t->failed_faults[0].kind, "kill");
  EXPECT_EQ(t->failed_faults[0].error, "<no such process>");

  std::string html = RenderRunReport(MakeRun(h.str()));
  EXPECT_NE(html.find("Faults that failed to take effect"), std::string::npos);
  EXPECT_NE(html.find("&lt;no such process&gt;"), std::string::npos);
  EXPECT_EQ(CountOf(html, "class=\"fault-failed\""), 1);
  EXPECT_EQ(CountOf(html, "class=\"fault-lane\""), 1);
}

TEST(Timeline, MalformedLineNamesTheLine) {
  auto t = ParseTimeline("{\"type\":\"meta\"}\n{\"t\":1,\"type\":\"phase\"\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 2"), std::string::npos) << t.status().ToString();
}

TEST(RunReport, BannerAnomaliesAndBands) {
  RunData run = MakeRun(BrokenHistory());
  ASSERT_EQ(run.verdict(), "invalid");
  std::string html = RenderRunReport(run);
  EXPECT_NE(html.find("class=\"banner invalid\""), std::string::npos);
  EXPECT_NE(html.find("seed 7"), std::string::npos);
  // One fault: one labelled lane band, and one shaded band behind each line chart.
  EXPECT_EQ(CountOf(html, "class=\"fault-lane\""), 1);
  EXPECT_EQ(CountOf(html, "class=\"fault-band\""), 2);
  EXPECT_NE(html.find(">kill worker-1<"), std::string::npos);
  EXPECT_EQ(CountOf(html, "class=\"failover-band\""), 1);
  EXPECT_EQ(CountOf(html, "class=\"checkpoint-completed\""), 2);  // chk-1, chk-3
  EXPECT_EQ(CountOf(html, "class=\"checkpoint-aborted\""), 1);
  // delivery.lost and delivery.duplicated fail exactly-once; each has its examples.
  EXPECT_GE(CountOf(html, "class=\"anomaly-row bad\""), 2);
  EXPECT_NE(html.find("delivery.lost: 1 of 1 examples"), std::string::npos);
  EXPECT_NE(html.find("delivery.duplicated: 1 of 1 examples"), std::string::npos);
  EXPECT_EQ(CountOf(html, "<svg class=\"chart\""), 3);
  EXPECT_NE(html.find("data-chart=\"rate\""), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"latency\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no external refs
}

TEST(RunReport, ValidRunHasNoAnomalyRows) {
  checkers::SyntheticOptions o;
  o.inputs = 5000;
  std::string text = checkers::FormatHistory(checkers::GenerateSyntheticLines(o), o);
  RunData run = MakeRun(text);
  std::string html = RenderRunReport(run);
  EXPECT_NE(html.find("class=\"banner valid\""), std::string::npos);
  EXPECT_EQ(CountOf(html, "anomaly-row"), 0);
  EXPECT_NE(html.find("class=\"no-anomalies\""), std::string::npos);
  EXPECT_EQ(CountOf(html, "class=\"fault-lane\""), static_cast<int>(run.timeline.faults.size()));
  EXPECT_GE(CountOf(html, "<polyline class=\"series s-input\""), 1);
}

TEST(RunReport, ARestoreThatWentBackIsShownAndItsAbsenceIsNot) {
  HistoryText h;
  h.Meta("exactly-once").Input(10, 1, "k0").Output(20, 1, "k0", 1);
  h.Line(R"({"t":30,"type":"runtime","node":"coordinator","event":"restore-went-back",)"
         R"("checkpoint":4,"newest":6,"rollback":true,"attempt":3})");
  h.Output(40, 1, "k0", 1).FinalRead(50);
  std::string html = RenderRunReport(MakeRun(h.str()));
  EXPECT_EQ(CountOf(html, "class=\"went-back\""), 1);
  EXPECT_NE(html.find("chk-4</td><td>chk-6</td><td>rollback"), std::string::npos) << html;
  EXPECT_EQ(CountOf(RenderRunReport(MakeRun(BrokenHistory())), "class=\"went-back\""), 0);
}

TEST(RunReport, TheCheckersDecideWhatFails) {
  // at-least-once: the duplicate is allowed, the loss fails.
  HistoryText h;
  h.Meta("at-least-once").Input(1, 1, "a").Input(2, 2, "a").Output(11, 1, "a", 1);
  h.Output(12, 1, "a", 1).FinalRead(20);
  RunData run = MakeRun(h.str());
  std::string html = RenderRunReport(run);
  EXPECT_EQ(CountOf(html, "class=\"anomaly-row bad\""), 1);
  EXPECT_EQ(CountOf(html, "class=\"anomaly-row allowed\""), 1);
  // The report follows results.json's `failing`, not a rule of its own.
  run.results["checkers"]["delivery"]["failing"] = nlohmann::json::array({"duplicated"});
  html = RenderRunReport(run);
  EXPECT_NE(html.find("<td>delivery</td><td>duplicated</td><td class=\"num\">1</td><td><span "
                      "class=\"tag no\">fails"),
            std::string::npos);
  // A results.json from before `failing`: the checker's `valid` decides for all its kinds.
  run.results["checkers"]["delivery"].erase("failing");
  html = RenderRunReport(run);
  EXPECT_EQ(CountOf(html, "class=\"anomaly-row bad\""), 2);
  run.results["checkers"]["delivery"]["valid"] = true;
  html = RenderRunReport(run);
  EXPECT_EQ(CountOf(html, "class=\"anomaly-row allowed\""), 2);
}

TEST(RunReport, SendOutcomesAndSkippedCheckers) {
  HistoryText h;
  h.Meta("exactly-once", "delivery", ",\"system\":\"<mqtt>\",\"checks\":[\"delivery\"]");
  h.Send(1, 1, "a", "ok").Send(2, 2, "a", "fail", ",\"error\":\"<refused>\"");
  h.Send(3, 3, "a", "unknown").Record(11, 1, "a").Record(12, 2, "a").FinalRead(20);
  RunData run = MakeRun(h.str());
  EXPECT_EQ(run.verdict(), "invalid");
  std::string html = RenderRunReport(run);
  EXPECT_NE(html.find("system &lt;mqtt&gt;"), std::string::npos);
  EXPECT_NE(html.find("3 inputs (1 failed, 1 of unknown outcome)"), std::string::npos);
  EXPECT_NE(html.find("delivery.delivered-after-fail: 1 of 1 examples"), std::string::npos);
  EXPECT_NE(html.find("send fail: &lt;refused&gt;"), std::string::npos);
  EXPECT_NE(html.find("Not checked (not in the scenario's checks): order, visibility, "
                      "availability."),
            std::string::npos);
}

TEST(RunReport, AsExpectedFollowsTheCheckersRule) {
  RunData run = MakeRun(BrokenHistory());
  run.expected = "invalid";
  EXPECT_TRUE(run.as_expected());
  run.expected = "any";
  EXPECT_TRUE(run.as_expected());
  run.expected = "valid";
  EXPECT_FALSE(run.as_expected());
  run.results["valid"] = "unknown";
  run.expected = "any";
  EXPECT_FALSE(run.as_expected());
}

TEST(RunReport, PlantedMarkupIsEscaped) {
  const std::string evil = "<script>alert('x')</script>&\"";
  RunData run = MakeRun(BrokenHistory(evil, evil));
  std::string html = RenderRunReport(run);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("alert('x')"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"),
            std::string::npos);
}

TEST(RunReport, WritesFromARunDirectory) {
  TempDir dir;
  std::string run_dir = dir.File("run");
  testing::WriteRunDir(run_dir, BrokenHistory());
  ASSERT_TRUE(CreateDirs(JoinPath(run_dir, "nodes/worker-1")).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(run_dir, "nodes/worker-1/stderr"), "E <b>boom</b>\n").ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(run_dir, "scenario.json"),
                              R"({"name":"test","seed":7,"mode":["exactly-once"],)"
                              R"("expect":{"exactly-once":"invalid"}})")
                  .ok());
  auto path = WriteRunReport(run_dir);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  auto html = ReadFileToString(*path);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("href=\"nodes/worker-1/stderr\""), std::string::npos);
  EXPECT_NE(html->find("E &lt;b&gt;boom&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html->find("faultline run " + run_dir + "/scenario.json"), std::string::npos);
  EXPECT_NE(html->find("as the scenario expects (invalid)"), std::string::npos);
}

TEST(RunReport, MissingOrMalformedFilesAreNamed) {
  TempDir dir;
  auto missing = WriteRunReport(dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.File("results.json")), std::string::npos);

  testing::WriteRunDir(dir.path(), BrokenHistory());
  ASSERT_TRUE(WriteFileAtomic(dir.File("history.jsonl"), "{\"type\":\"meta\"}\nnot json\n").ok());
  auto malformed = WriteRunReport(dir.path());
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find(dir.File("history.jsonl")), std::string::npos);
  EXPECT_NE(malformed.status().message().find("line 2"), std::string::npos);

  ASSERT_TRUE(WriteFileAtomic(dir.File("results.json"), "{\"valid\":").ok());
  auto bad_results = WriteRunReport(dir.path());
  ASSERT_FALSE(bad_results.ok());
  EXPECT_NE(bad_results.status().message().find(dir.File("results.json")), std::string::npos);
}

TEST(RunFigures, FromResultsAndTimeline) {
  RunData run = MakeRun(BrokenHistory());
  RunFigures f = FiguresOf(run);
  EXPECT_EQ(f.lost, 1);
  EXPECT_EQ(f.duplicated, 1);
  ASSERT_TRUE(f.throughput.has_value());
  // 4 committed outputs over the 3.499 s generate phase.
  EXPECT_NEAR(*f.throughput, 4 / 3.499, 0.01);
  // kill at 1 s; input 3, written at 2.2 s, committed at 3.02 s.
  ASSERT_TRUE(f.recovery_ns.has_value());
  EXPECT_EQ(*f.recovery_ns, 2'020'000'000);
}

}  // namespace
}  // namespace faultline::reports
