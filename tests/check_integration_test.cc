// `faultline check` as a user runs it: on run directories and history files, valid, invalid,
// unknown and broken, through the built binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline {
namespace {

constexpr const char* kMeta =
    R"({"type":"meta","scenario":"kill-worker","mode":"exactly-once","job":"count","seed":7})"
    "\n";
constexpr const char* kRun =
    R"({"t":0,"type":"phase","phase":"setup"}
{"t":1200,"type":"input","id":42,"key":"k7","partition":1,"offset":17,"event_time":1234,"value":1}
{"t":1300,"type":"input","id":43,"key":"k7","partition":1,"offset":18,"event_time":1240,"value":1}
{"t":5000,"type":"fault","fault":"kill","target":"worker-1","phase":"begin"}
{"t":7000,"type":"runtime","node":"coordinator","event":"checkpoint-completed","checkpoint":12}
{"t":8000,"type":"phase","phase":"heal"}
{"t":8500,"type":"fault","fault":"kill","target":"worker-1","phase":"end"}
{"t":9000,"type":"output","id":42,"key":"k7","count":1,"committed":true}
{"t":9000,"type":"output","id":43,"key":"k7","count":2,"committed":true}
)";
constexpr const char* kEnd =
    R"({"t":9500,"type":"phase","phase":"final-read"}
{"t":9600,"type":"phase","phase":"done"}
)";
constexpr const char* kDuplicate =
    R"({"t":9100,"type":"output","id":43,"key":"k7","count":2,"committed":true})"
    "\n";

class CheckCommand : public ::testing::Test {
 protected:
  // Writes `text` as RUN_DIR/history.jsonl and returns RUN_DIR.
  std::string Run(const std::string& name, const std::string& text) {
    std::string run = dir_.File(name);
    EXPECT_TRUE(CreateDirs(run).ok());
    EXPECT_TRUE(WriteFileAtomic(JoinPath(run, "history.jsonl"), text).ok());
    return run;
  }
  static CommandResult Check(const std::string& args) {
    return RunCommand(BinPath("faultline") + " check " + args);
  }
  static nlohmann::json Results(const std::string& path) {
    auto text = ReadFileToString(path);
    EXPECT_TRUE(text.ok()) << path;
    return nlohmann::json::parse(text.ok() ? *text : "", nullptr, false);
  }

  TempDir dir_;
};

TEST_F(CheckCommand, ValidRunExitsZeroAndWritesResultsBesideTheHistory) {
  std::string run = Run("ok", std::string(kMeta) + kRun + kEnd);
  CommandResult r = Check(run);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("verdict: valid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("delivery"), std::string::npos) << r.out;
  nlohmann::json j = Results(JoinPath(run, "results.json"));
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["mode"], "exactly-once");
  EXPECT_EQ(j["checkers"]["delivery"]["lost"], 0);
  EXPECT_EQ(j["checkers"]["availability"]["faults"][0]["fault"], "kill");
  // The history file itself works too.
  EXPECT_EQ(Check(JoinPath(run, "history.jsonl")).exit_code, 0);
}

TEST_F(CheckCommand, InvalidRunExitsOneAndModeOverrideAppliesTheOtherExpectation) {
  std::string run = Run("dup", std::string(kMeta) + kRun + kDuplicate + kEnd);
  CommandResult r = Check(run);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("verdict: invalid"), std::string::npos) << r.out;
  nlohmann::json j = Results(JoinPath(run, "results.json"));
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["checkers"]["delivery"]["duplicated"], 1);
  EXPECT_EQ(j["checkers"]["delivery"]["examples"]["duplicated"][0]["id"], 43);

  std::string out = dir_.File("alo.json");
  r = Check(run + " --mode at-least-once --out " + out);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Results(out)["mode"], "at-least-once");
  EXPECT_NE(r.out.find(out), std::string::npos) << r.out;
}

TEST_F(CheckCommand, RunWithoutFinalReadIsUnknown) {
  std::string run = Run("cut", std::string(kMeta) + kRun);
  CommandResult r = Check(run);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("final-read"), std::string::npos) << r.out;
  EXPECT_EQ(Results(JoinPath(run, "results.json"))["valid"], "unknown");
}

TEST_F(CheckCommand, MalformedOrTruncatedLinesExitTwoNamingTheLine) {
  struct Case {
    std::string text;
    std::string line;
  };
  const std::string head = std::string(kMeta) + kRun;  // 10 lines
  for (const Case& c : std::vector<Case>{
           {head + "{\"t\":9100,\"type\":\"output\",\"id\":4", "line 11: "},
           {head + "garbage\n" + kEnd, "line 11: "},
           {std::string(kMeta) + "{\"t\":1,\"type\":\"input\",\"id\":1}\n" + kRun, "line 2: "},
           {head + std::string("\x00\x01\xff\n", 4) + kEnd, "line 11: "},
           {head + "{\"t\":1,\"type\":\"phase\",\"phase\":\"x\"}}\n", "line 11: "},
       }) {
    std::string run = Run("bad", c.text);
    std::string results = JoinPath(run, "results.json");
    ASSERT_TRUE(RemoveAll(results).ok());
    CommandResult r = Check(run);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find(c.line), std::string::npos) << r.out;
    EXPECT_FALSE(PathExists(results));
  }
}

TEST_F(CheckCommand, UsageErrorsExitTwo) {
  for (const std::string& args :
       {std::string(""), dir_.File("missing"), dir_.File("missing") + " --mode exactly-twice",
        std::string("--no-such-flag x"), std::string("a b")}) {
    CommandResult r = Check(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("faultline check: "), std::string::npos) << r.out;
  }
  CommandResult help = Check("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: faultline check"), std::string::npos) << help.out;
}

TEST_F(CheckCommand, WindowJob) {
  std::string run =
      Run("win",
          R"({"type":"meta","mode":"at-least-once","job":"window-count","window_size":1000}
{"t":10,"type":"input","id":1,"key":"k","partition":0,"offset":0,"event_time":100,"value":1}
{"t":20,"type":"input","id":2,"key":"k","partition":0,"offset":1,"event_time":900,"value":1}
{"t":50,"type":"window","key":"k","start":0,"end":1000,"count":2,"committed":true}
{"t":60,"type":"window","key":"k","start":0,"end":1000,"count":2,"committed":true}
{"t":70,"type":"phase","phase":"final-read"}
)");
  CommandResult r = Check(run);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j = Results(JoinPath(run, "results.json"));
  EXPECT_EQ(j["job"], "window-count");
  EXPECT_EQ(j["checkers"]["delivery"]["duplicated"], 1);
  EXPECT_EQ(j["checkers"]["windows"]["mismatched"], 0);
  EXPECT_EQ(Check(run + " --mode exactly-once").exit_code, 1);
}

}  // namespace
}  // namespace faultline
