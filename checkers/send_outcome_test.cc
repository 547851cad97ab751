// Send outcomes (`status` on input lines) and the delivery job: what each outcome requires of
// the delivery, state and order checkers, and what an old history without them still gives.
#include <gtest/gtest.h>

#include "checkers/check.h"
#include "checkers/results_json.h"
#include "checkers/testing.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

constexpr Mode kModes[] = {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce};

TEST(SendOutcome, AnOldHistoryWithoutStatusChecksAsBefore) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Input(2, 2, "a").Input(3, 3, "a");
  h.Output(11, 1, "a", 1).Output(13, 3, "a", 2).FinalRead(20);
  CheckResult r = h.Check();
  EXPECT_EQ(r.Figure("delivery.lost"), 1);
  EXPECT_EQ(r.Figure("delivery.delivered-after-fail"), 0);
  EXPECT_EQ(r.Figure("delivery.failed"), 0);
  EXPECT_EQ(r.stats.inputs_ok, 3u);
  EXPECT_EQ(r.stats.inputs_failed + r.stats.inputs_unknown, 0u);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  // The explicit status of every send changes nothing.
  HistoryText ok;
  ok.Meta("exactly-once").InputWithStatus(1, 1, "a", "ok").InputWithStatus(2, 2, "a", "ok");
  ok.InputWithStatus(3, 3, "a", "ok").Output(11, 1, "a", 1).Output(13, 3, "a", 2).FinalRead(20);
  CheckResult explicit_ok = ok.Check();
  EXPECT_EQ(explicit_ok.Figure("delivery.lost"), 1);
  EXPECT_EQ(ResultsToJson(explicit_ok, "h")["checkers"], ResultsToJson(r, "h")["checkers"]);
}

TEST(SendOutcome, AFailedSendIsNeverLostAndAnUnknownOneNeitherRequiredNorForbidden) {
  for (Mode mode : kModes) {
    HistoryText h;
    h.Meta(ModeName(mode)).Input(1, 1, "a");
    h.Send(2, 2, "a", "fail", ",\"error\":\"connection refused\"");
    h.Send(3, 3, "a", "unknown").Send(4, 4, "a", "unknown");
    h.Output(11, 1, "a", 1).Output(14, 4, "a", 2).FinalRead(20);
    CheckResult r = h.Check();
    SCOPED_TRACE(ModeName(mode));
    EXPECT_EQ(r.Figure("delivery.lost"), 0);
    EXPECT_EQ(r.Figure("delivery.delivered-after-fail"), 0);
    EXPECT_EQ(r.Figure("delivery.failed"), 1);
    EXPECT_EQ(r.Figure("delivery.unknown_delivered"), 1);
    EXPECT_EQ(r.Figure("delivery.unknown_missing"), 1);
    EXPECT_TRUE(r.Find("state")->clean());  // 2 counts for 3 sends that may have applied
    EXPECT_EQ(r.stats.inputs_ok, 1u);
    EXPECT_EQ(r.stats.inputs_failed, 1u);
    EXPECT_EQ(r.stats.inputs_unknown, 2u);
    EXPECT_EQ(r.verdict, Verdict::kValid) << FormatSummary(r);
  }
}

TEST(SendOutcome, DeliveredAfterFailFailsEveryMode) {
  for (Mode mode : kModes) {
    HistoryText h;
    h.Meta(ModeName(mode)).Input(1, 1, "a");
    h.Send(2, 2, "a", "fail", ",\"error\":\"broker said no\"");
    h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).FinalRead(20);
    CheckResult r = h.Check();
    SCOPED_TRACE(ModeName(mode));
    EXPECT_EQ(r.Figure("delivery.delivered-after-fail"), 1);
    EXPECT_EQ(r.Figure("delivery.lost"), 0);
    // The failed send applied anyway: one count more than the sends that may have applied.
    EXPECT_EQ(r.Figure("state.overcount"), 1);
    EXPECT_EQ(r.verdict, Verdict::kInvalid);
    const CheckerResult* d = r.Find("delivery");
    EXPECT_FALSE(d->valid);
    EXPECT_TRUE(d->Find("delivered-after-fail")->fails);
    const nlohmann::json& e = d->Find("delivered-after-fail")->examples.at(0);
    EXPECT_EQ(e["id"], 2);
    EXPECT_EQ(e["input"]["status"], "fail");
    EXPECT_EQ(e["input"]["error"], "broker said no");
    EXPECT_TRUE(e["input"]["partition"].is_null());
    EXPECT_TRUE(e["input"]["offset"].is_null());
    EXPECT_EQ(e["latency_ns"], 10);
    nlohmann::json j = ResultsToJson(r, "h");
    EXPECT_EQ(j["checkers"]["delivery"]["failing"],
              nlohmann::json::array({"delivered-after-fail"}));
  }
}

TEST(SendOutcome, DuplicatesCountWhateverTheStatus) {
  HistoryText h;
  h.Meta("at-most-once").Send(1, 1, "a", "unknown").Send(2, 2, "a", "fail");
  h.Output(11, 1, "a", 1).Output(12, 1, "a", 1).Output(13, 2, "a", 2).Output(14, 2, "a", 2);
  CheckResult r = h.FinalRead(20).Check();
  EXPECT_EQ(r.Figure("delivery.duplicated"), 2);
  EXPECT_EQ(r.Figure("delivery.delivered-after-fail"), 1);
}

TEST(SendOutcome, ARetriedIdTakesItsStrongestOutcome) {
  // A send that timed out and was retried under the same id: acknowledged the second time,
  // so it must be delivered.
  HistoryText h;
  h.Meta("at-least-once").Send(1, 1, "a", "unknown").Send(2, 1, "a", "ok");
  h.Send(3, 2, "a", "fail").Send(4, 2, "a", "unknown");
  CheckResult r = h.FinalRead(20).Check();
  EXPECT_EQ(r.Figure("delivery.lost"), 1);
  EXPECT_EQ(r.Find("delivery")->Find("lost")->examples[0]["id"], 1);
  EXPECT_EQ(r.Figure("delivery.unknown_missing"), 1);
  EXPECT_EQ(r.Figure("delivery.failed"), 0);
}

TEST(SendOutcome, OvercountComparesAgainstSendsThatMayHaveApplied) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Send(2, 2, "a", "unknown").Send(3, 3, "a", "fail");
  h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).Output(13, 2, "a", 3);  // 3 > 2 distinct
  CheckResult r = h.FinalRead(20).Check();
  EXPECT_EQ(r.Figure("state.overcount"), 1);
  EXPECT_EQ(r.Find("state")->Find("overcount")->examples[0]["distinct_inputs"], 2);
}

TEST(SendOutcome, InputsWithoutPartitionAreOrderedById) {
  HistoryText h;
  h.Meta("exactly-once").Send(1, 1, "a", "ok").Send(2, 2, "a", "ok").Send(3, 3, "a", "ok");
  h.Output(11, 1, "a", 1).Output(12, 2, "a", 3).Output(13, 3, "a", 2).FinalRead(20);
  CheckResult r = h.Check();
  EXPECT_EQ(r.Figure("order.violations"), 1);
  const nlohmann::json& e = r.Find("order")->Find("violations")->examples[0];
  EXPECT_EQ(e["partition"], -1);
  EXPECT_EQ(e["earlier"]["id"], 2);
  EXPECT_TRUE(e["earlier"]["offset"].is_null());
  EXPECT_EQ(e["later"]["id"], 3);
}

TEST(SendOutcome, AnUnknownStatusIsCorruptionNamingTheLineAndMember) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Send(2, 2, "a", "maybe");
  auto parsed = ParseHistory(h.str());
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.status().IsCorruption());
  EXPECT_EQ(
      parsed.status().message(),
      "line 3: input line: \"status\" must be \"ok\", \"fail\" or \"unknown\", not \"maybe\"");
  auto mistyped =
      ParseHistory(R"({"t":1,"type":"input","id":1,"key":"a","event_time":0,"status":1})");
  ASSERT_FALSE(mistyped.ok());
  EXPECT_EQ(mistyped.status().message().rfind("line 1: input line: \"status\" must be", 0), 0u);
  auto bad_ack = ParseHistory(
      R"({"t":1,"type":"input","id":1,"key":"a","event_time":0,"status":"ok","ack_t":"x"})");
  ASSERT_FALSE(bad_ack.ok());
  EXPECT_EQ(bad_ack.status().message(), "line 1: input line: \"ack_t\" must be an integer");
}

TEST(SendOutcome, TheParserKeepsStatusAndOptionalPositions) {
  auto h = ParseHistory(
      R"({"t":1,"type":"input","id":1,"key":"a","partition":2,"offset":5,"event_time":0,"status":"ok","ack_t":9})"
      "\n"
      R"({"t":2,"type":"input","id":2,"key":"a","event_time":0,"status":"fail","error":"refused"})"
      "\n"
      R"({"t":3,"type":"input","id":3,"key":"a","partition":null,"event_time":0,"status":"unkn\u006fwn"})"
      "\n"
      R"({"t":4,"type":"output","id":1,"key":"a","committed":true})"
      "\n");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->inputs.size(), 3u);
  EXPECT_EQ(h->inputs[0].status, SendStatus::kOk);
  EXPECT_EQ(h->inputs[0].partition, 2);
  EXPECT_EQ(h->inputs[0].offset, 5);
  EXPECT_EQ(h->inputs[1].status, SendStatus::kFail);
  EXPECT_EQ(h->inputs[1].partition, kNoPartition);
  EXPECT_EQ(h->inputs[1].offset, kNoOffset);
  EXPECT_EQ(h->inputs[2].status, SendStatus::kUnknown);  // spelled with an escape
  ASSERT_EQ(h->send_errors.size(), 1u);
  EXPECT_EQ(h->send_errors[0].input, 1u);
  EXPECT_EQ(h->send_errors[0].error, "refused");
  ASSERT_EQ(h->outputs.size(), 1u);
  EXPECT_EQ(h->outputs[0].count, kNoCount);
  EXPECT_EQ(h->counted_outputs, 0u);
}

TEST(DeliveryJob, StateAndWindowsDoNotApply) {
  HistoryText h;
  h.Meta("exactly-once", "delivery", ",\"system\":\"mqtt\"");
  h.Send(1, 1, "t/a", "ok").Send(2, 2, "t/a", "ok").Send(3, 3, "t/b", "fail");
  h.Record(11, 1, "t/a").Record(12, 2, "t/a").FinalRead(20);
  CheckResult r = h.Check();
  EXPECT_EQ(r.job, JobKind::kDelivery);
  EXPECT_EQ(r.system, "mqtt");
  EXPECT_FALSE(r.Find("state")->applicable);
  EXPECT_FALSE(r.Find("windows")->applicable);
  for (const char* c : {"delivery", "order", "visibility", "availability"}) {
    EXPECT_TRUE(r.Find(c)->applicable) << c;
  }
  EXPECT_EQ(r.verdict, Verdict::kValid) << FormatSummary(r);
  nlohmann::json j = ResultsToJson(r, "h");
  EXPECT_EQ(j["job"], "delivery");
  EXPECT_EQ(j["system"], "mqtt");
  EXPECT_EQ(j["checkers"]["state"]["applicable"], false);
  EXPECT_EQ(j["checkers"]["delivery"]["examples"]["lost"].size(), 0u);
}

TEST(DeliveryJob, OrderIsTheOrderOfObservationAndVisibilityMatchesById) {
  HistoryText h;
  h.Meta("exactly-once", "delivery");
  h.Input(1, 1, "a").Input(2, 2, "a").Input(3, 3, "a").Input(4, 4, "a");
  h.Record(10, 1, "a", /*committed=*/false).Record(11, 1, "a");  // committed later: fine
  h.Record(13, 2, "a").Record(12, 3, "a");                       // 3 seen before 2
  h.Record(14, 4, "a", /*committed=*/false);                     // never committed
  CheckResult r = h.FinalRead(20).Check();
  EXPECT_EQ(r.Figure("order.violations"), 1);
  const nlohmann::json& e = r.Find("order")->Find("violations")->examples[0];
  EXPECT_EQ(e["earlier"]["id"], 2);
  EXPECT_EQ(e["earlier"]["delivered_t"], 13);
  EXPECT_EQ(e["later"]["delivered_t"], 12);
  EXPECT_EQ(r.Figure("visibility.aborted-reads"), 1);
  EXPECT_TRUE(r.Find("visibility")->Find("aborted-reads")->examples[0]["count"].is_null());
  EXPECT_EQ(r.Figure("delivery.lost"), 1);
}

TEST(DeliveryJob, IsInferredFromOutputsWithoutCounts) {
  HistoryText h;
  h.Line(R"({"type":"meta","mode":"at-least-once"})").Input(1, 1, "a").Record(2, 1, "a");
  EXPECT_EQ(h.FinalRead(10).Check().job, JobKind::kDelivery);
  EXPECT_EQ(ParseJobKind("delivery"), JobKind::kDelivery);
  EXPECT_EQ(JobKindName(JobKind::kDelivery), "delivery");
}

}  // namespace
}  // namespace faultline::checkers
