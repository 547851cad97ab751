#include "checkers/check.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/test_util.h"
#include "checkers/results_json.h"
#include "checkers/testing.h"

namespace faultline::checkers {
namespace {

using testing::HistoryText;

constexpr Mode kModes[] = {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce};

// Three inputs of one key and their outputs, through `edit`, under each mode.
template <typename Edit>
std::vector<Verdict> VerdictPerMode(Edit edit) {
  std::vector<Verdict> verdicts;
  for (Mode mode : kModes) {
    HistoryText h;
    h.Meta(ModeName(mode));
    h.Input(1, 1, "a").Input(2, 2, "a").Input(3, 3, "a");
    edit(h);
    h.FinalRead(100);
    verdicts.push_back(h.Check().verdict);
  }
  return verdicts;
}

constexpr Verdict kValid = Verdict::kValid;
constexpr Verdict kInvalid = Verdict::kInvalid;

TEST(Verdict, FollowsEachModesExpectation) {
  using V = std::vector<Verdict>;
  // Clean.
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) {
              h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).Output(13, 3, "a", 3);
            }),
            (V{kValid, kValid, kValid}));
  // Loss, with the state consequences of at-most-once (counts carry on after the loss).
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) { h.Output(11, 1, "a", 1).Output(13, 3, "a", 2); }),
            (V{kValid, kInvalid, kInvalid}));
  // Identical duplicate.
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) {
              h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).Output(13, 3, "a", 3);
              h.Output(14, 3, "a", 3);
            }),
            (V{kInvalid, kValid, kInvalid}));
  // A replay with state past the barrier: duplicate, count repeat, overcount, regression.
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) {
              h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).Output(13, 3, "a", 3);
              h.Output(14, 2, "a", 3).Output(15, 3, "a", 4);
            }),
            (V{kInvalid, kValid, kInvalid}));
  // State alone (a swapped order): only exactly-once fails.
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) {
              h.Output(11, 1, "a", 2).Output(12, 2, "a", 1).Output(13, 3, "a", 3);
            }),
            (V{kValid, kValid, kInvalid}));
  // An aborted read: only exactly-once fails.
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) {
              h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).Output(13, 3, "a", 3);
              h.Output(14, 3, "a", 9, false);
            }),
            (V{kValid, kValid, kInvalid}));
  // An output never input fails every mode.
  EXPECT_EQ(VerdictPerMode([](HistoryText& h) {
              h.Output(11, 1, "a", 1).Output(12, 2, "a", 2).Output(13, 3, "a", 3);
              h.Output(14, 77, "a", 4);
            }),
            (V{kInvalid, kInvalid, kInvalid}));
}

TEST(Verdict, WindowsFailInTheDirectionTheModeForbids) {
  auto verdicts = [](int64_t count) {
    std::vector<Verdict> v;
    for (Mode mode : kModes) {
      HistoryText h;
      h.Meta(ModeName(mode), "window-count", ",\"window_size\":1000");
      h.Input(1, 1, "a", 0, 0, 10).Input(2, 2, "a", 0, 1, 20).Window(50, "a", 0, 1000, count);
      v.push_back(h.FinalRead(100).Check().verdict);
    }
    return v;
  };
  EXPECT_EQ(verdicts(2), (std::vector<Verdict>{kValid, kValid, kValid}));
  EXPECT_EQ(verdicts(1), (std::vector<Verdict>{kValid, kInvalid, kInvalid}));  // records lost
  EXPECT_EQ(verdicts(3), (std::vector<Verdict>{kInvalid, kValid, kInvalid}));  // counted twice
}

TEST(Verdict, AnAbortedRunIsUnknownAndSaysWhy) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Output(2, 1, "a", 1);
  h.Line("{\"t\":3,\"type\":\"phase\",\"phase\":\"aborted\",\"error\":\"the adapter said: ?\"}");
  h.FinalRead(4);  // even a final read after it does not make it judgeable
  CheckResult r = h.Check();
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  ASSERT_EQ(r.unknown_reasons.size(), 1u);
  EXPECT_EQ(r.unknown_reasons[0], "the run was aborted: the adapter said: ?");
}

// A run that never reached its end cannot show that something is missing, but two committed
// copies, or committed output taken back, stand however it ended.
TEST(Verdict, AnUnfinishedRunIsInvalidOnlyOnAnomaliesThatStandWithoutItsEnd) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Input(2, 2, "a").Output(3, 1, "a", 1);
  h.Line("{\"t\":4,\"type\":\"phase\",\"phase\":\"aborted\",\"error\":\"the system halted\"}");
  CheckResult missing = h.Check();  // id 2 is missing: it may have been on its way
  EXPECT_EQ(missing.Figure("delivery.lost"), 1);
  EXPECT_EQ(missing.verdict, Verdict::kUnknown);

  HistoryText twice = h;
  twice.Output(5, 1, "a", 1);
  CheckResult duplicated = twice.Check();
  EXPECT_EQ(duplicated.verdict, Verdict::kInvalid);
  EXPECT_FALSE(duplicated.unknown_reasons.empty()) << "the reasons stay on record";
  EXPECT_EQ(twice.Check({Mode::kAtLeastOnce}).verdict, Verdict::kUnknown)
      << "an anomaly the mode allows makes no verdict";

  HistoryText taken_back;
  taken_back.Meta("exactly-once").Input(1, 1, "a").OutputFrom(2, 1, "a", 1, "seg-1");
  taken_back.Retraction(3, "seg-1", 0).Phase(4, "quiesce");  // never reached a final read
  EXPECT_EQ(taken_back.Check().verdict, Verdict::kInvalid);
}

TEST(Verdict, UnknownWithoutFinalReadOrMode) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Output(2, 1, "a", 1).Phase(3, "quiesce");
  CheckResult r = h.Check();
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.ExitCode(), 2);
  ASSERT_EQ(r.unknown_reasons.size(), 1u);
  EXPECT_NE(r.unknown_reasons[0].find("final-read"), std::string::npos);

  HistoryText no_mode;
  no_mode.Input(1, 1, "a").Output(2, 1, "a", 1).FinalRead(3);
  EXPECT_EQ(no_mode.Check().verdict, Verdict::kUnknown);
  EXPECT_NE(no_mode.Check().unknown_reasons[0].find("--mode"), std::string::npos);
  CheckResult overridden = no_mode.Check({Mode::kAtLeastOnce});
  EXPECT_EQ(overridden.verdict, Verdict::kValid);
  EXPECT_EQ(overridden.mode, Mode::kAtLeastOnce);
  EXPECT_EQ(overridden.ExitCode(), 0);

  HistoryText odd_mode;
  odd_mode.Meta("exactly-twice").FinalRead(3);
  EXPECT_NE(odd_mode.Check().unknown_reasons[0].find("exactly-twice"), std::string::npos);
}

TEST(Verdict, ModeOverrideWins) {
  HistoryText h;
  h.Meta("at-least-once").Input(1, 1, "a").Output(2, 1, "a", 1).Output(3, 1, "a", 1).FinalRead(4);
  EXPECT_EQ(h.Check().verdict, Verdict::kValid);
  CheckResult r = h.Check({Mode::kExactlyOnce});
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.ExitCode(), 1);
  EXPECT_FALSE(r.Find("delivery")->valid);
}

TEST(ResultsJson, HasTheDocumentedNames) {
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "a").Input(2, 2, "a").Output(3, 1, "a", 1).FinalRead(4);
  CheckResult r = h.Check();
  nlohmann::json j = ResultsToJson(r, "/runs/x/history.jsonl");
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["mode"], "exactly-once");
  EXPECT_EQ(j["job"], "count");
  EXPECT_EQ(j["scenario"], "test");
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["history"], "/runs/x/history.jsonl");
  EXPECT_EQ(j["stats"]["inputs"], 2);
  const nlohmann::json& c = j["checkers"];
  for (const char* figure :
       {"delivery.lost", "delivery.duplicated", "delivery.unexpected", "state.count-repeat",
        "state.count-gap", "state.count-regression", "state.overcount", "order.violations",
        "windows.mismatched", "visibility.aborted-reads"}) {
    std::string name(figure);
    std::string checker = name.substr(0, name.find('.'));
    std::string kind = name.substr(name.find('.') + 1);
    ASSERT_TRUE(c[checker][kind].is_number_integer()) << figure;
    EXPECT_EQ(c[checker][kind], r.Figure(figure)) << figure;
    EXPECT_TRUE(c[checker]["examples"][kind].is_array()) << figure;
    EXPECT_TRUE(c[checker]["valid"].is_boolean()) << figure;
  }
  EXPECT_EQ(c["delivery"]["lost"], 1);
  EXPECT_EQ(c["delivery"]["valid"], false);
  EXPECT_EQ(c["delivery"]["examples"]["lost"][0]["id"], 2);
  EXPECT_EQ(c["windows"]["applicable"], false);
  EXPECT_TRUE(c["availability"]["latency"].is_object());
  EXPECT_TRUE(c["availability"]["per_second"].is_array());
  EXPECT_TRUE(c["availability"]["faults"].is_array());
  EXPECT_TRUE(c["availability"].contains("longest_stall"));

  HistoryText unknown;
  unknown.Meta("exactly-once");
  EXPECT_EQ(ResultsToJson(unknown.Check(), "h")["valid"], "unknown");
}

TEST(ResultsJson, WritesAtomicallyAndReplacesInvalidUtf8) {
  TempDir dir;
  HistoryText h;
  h.Meta("exactly-once").Input(1, 1, "bad\xff key").FinalRead(2);
  CheckResult r = h.Check();
  ASSERT_TRUE(WriteResultsJson(dir.File("results.json"), r, "history.jsonl").ok());
  auto text = ReadFileToString(dir.File("results.json"));
  ASSERT_TRUE(text.ok());
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["checkers"]["delivery"]["examples"]["lost"][0]["key"], "bad\xEF\xBF\xBD key");
}

TEST(Summary, NamesTheVerdictAndEveryChecker) {
  HistoryText h;
  h.Meta("at-least-once").Input(1, 1, "a").Output(2, 1, "a", 1).Output(3, 1, "a", 1).FinalRead(4);
  std::string s = FormatSummary(h.Check());
  EXPECT_EQ(s.rfind("verdict: valid", 0), 0u) << s;
  for (const char* line : {"delivery", "state", "order", "windows", "visibility", "availability",
                           "duplicated 1", "allowed", "n/a", "latency p50"}) {
    EXPECT_NE(s.find(line), std::string::npos) << line << "\n" << s;
  }
}

}  // namespace
}  // namespace faultline::checkers
