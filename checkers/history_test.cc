#include "checkers/history.h"

#include <gtest/gtest.h>

#include <string>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline::checkers {
namespace {

// The example of docs/history-format.md, with the phases of a finished run.
constexpr const char* kDesignExample =
    R"({"type":"meta","scenario":"kill-worker","mode":"exactly-once","job":"count","seed":7}
{"t":1200,"type":"input","id":42,"key":"k7","partition":1,"offset":17,"event_time":1234,"value":1}
{"t":9000,"type":"output","id":42,"key":"k7","count":3,"committed":true}
{"t":9100,"type":"window","key":"k7","start":1000,"end":2000,"count":17,"committed":true}
{"t":5000,"type":"fault","fault":"kill","target":"worker-1","phase":"begin"}
{"t":7000,"type":"runtime","node":"coordinator","event":"checkpoint-completed","checkpoint":12}
{"t":8000,"type":"phase","phase":"heal"}
)";

TEST(HistoryReader, ReadsTheDesignExample) {
  auto h = ParseHistory(kDesignExample);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(h->meta.present);
  EXPECT_EQ(h->meta.scenario, "kill-worker");
  EXPECT_EQ(h->meta.mode, "exactly-once");
  EXPECT_EQ(h->meta.job, "count");
  EXPECT_EQ(h->meta.seed, 7u);
  ASSERT_EQ(h->inputs.size(), 1u);
  const InputEvent& in = h->inputs[0];
  EXPECT_EQ(in.t, 1200);
  EXPECT_EQ(in.id, 42u);
  EXPECT_EQ(h->keys[in.key], "k7");
  EXPECT_EQ(in.partition, 1);
  EXPECT_EQ(in.offset, 17);
  EXPECT_EQ(in.event_time, 1234);
  ASSERT_EQ(h->outputs.size(), 1u);
  EXPECT_EQ(h->outputs[0].count, 3);
  EXPECT_TRUE(h->outputs[0].committed);
  EXPECT_EQ(h->outputs[0].key, in.key);
  ASSERT_EQ(h->windows.size(), 1u);
  EXPECT_EQ(h->windows[0].start, 1000);
  EXPECT_EQ(h->windows[0].end, 2000);
  EXPECT_EQ(h->windows[0].count, 17);
  ASSERT_EQ(h->faults.size(), 1u);
  EXPECT_EQ(h->faults[0].fault, "kill");
  EXPECT_EQ(h->faults[0].target, "worker-1");
  EXPECT_EQ(h->faults[0].begin, 5000);
  EXPECT_EQ(h->faults[0].end, kNever);  // never healed in this history
  ASSERT_EQ(h->checkpoints.size(), 1u);
  EXPECT_EQ(h->checkpoints[0].id, 12);
  EXPECT_EQ(h->checkpoints[0].t, 7000);
  EXPECT_TRUE(h->HasPhase("heal"));
  EXPECT_FALSE(h->HasPhase("final-read"));
  EXPECT_EQ(h->end_t, 9100);
  EXPECT_EQ(h->lines, 7u);
}

TEST(HistoryReader, KeepsUnknownFieldsAndTypesOutOfTheWay) {
  auto h = ParseHistory(
      R"({"type":"meta","mode":"at-least-once","extra":{"nested":[1,2,{"x":null}]},"window_size":500}
{"type":"heartbeat","t":"not a number","whatever":[1]}
{"extra":1.5,"t":10,"type":"input","id":1,"key":"a","partition":0,"offset":0,"event_time":0,"note":"hi"}

{"t":11,"type":"output","id":1,"key":"a","count":1}
{"t":12,"type":"output","id":1,"key":"a","count":1,"committed":false}
{"t":13,"type":"runtime","event":"task-deployed","node":"worker-1"}
{"t":14,"type":"fault","fault":"partition","target":["w1","w2"],"phase":"begin"}
{"t":15,"type":"fault","fault":"partition","target":["w1","w2"],"phase":"end"}
)");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->meta.window_size, 500);
  EXPECT_EQ(h->inputs.size(), 1u);
  ASSERT_EQ(h->outputs.size(), 2u);
  EXPECT_TRUE(h->outputs[0].committed);  // absent means committed
  EXPECT_FALSE(h->outputs[1].committed);
  EXPECT_TRUE(h->checkpoints.empty());
  ASSERT_EQ(h->faults.size(), 1u);
  EXPECT_EQ(h->faults[0].target, R"(["w1","w2"])");
  EXPECT_EQ(h->faults[0].end, 15);
  EXPECT_EQ(h->lines, 9u);
}

TEST(HistoryReader, PairsFaultEndsWithTheirBegins) {
  auto h = ParseHistory(R"({"t":1,"type":"fault","fault":"kill","target":"w1","phase":"begin"}
{"t":2,"type":"fault","fault":"pause","target":"w1","phase":"begin"}
{"t":3,"type":"fault","fault":"kill","target":"w1","phase":"end"}
{"t":4,"type":"fault","fault":"kill","target":"w2","phase":"end"}
{"t":5,"type":"fault","fault":"kill","target":"w1","phase":"begin"}
{"t":8,"type":"fault","fault":"pause","target":"w9","phase":"end"}
{"t":7,"type":"fault","fault":"pause","target":"w9","phase":"begin"}
)");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->faults.size(), 4u);
  EXPECT_EQ(h->faults[3].begin, 7);  // lines out of time order pair by time
  EXPECT_EQ(h->faults[3].end, 8);
  EXPECT_EQ(h->faults[0].end, 3);
  EXPECT_EQ(h->faults[1].fault, "pause");
  EXPECT_EQ(h->faults[1].end, kNever);
  EXPECT_EQ(h->faults[2].begin, 5);
  EXPECT_EQ(h->faults[2].end, kNever);
}

TEST(HistoryReader, PairsByFaultIdAndKeepsFailedInjectionsApart) {
  auto h = ParseHistory(
      R"({"t":1,"type":"fault","fault":"kill","target":"w1","phase":"begin","fault_id":3}
{"t":2,"type":"fault","fault":"kill","target":"w1","phase":"begin","fault_id":3}
{"t":3,"type":"fault","fault":"kill","target":"w1","phase":"begin","fault_id":4}
{"t":4,"type":"fault","fault":"kill","target":"w1","phase":"end","fault_id":4}
{"t":5,"type":"fault","fault":"kill","target":"w1","phase":"end","fault_id":3}
{"t":6,"type":"fault","fault":"pause","target":"w2","phase":"failed","error":"no such pid"}
{"t":7,"type":"fault","fault":"pause","target":"w2","phase":"end"}
)");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->faults.size(), 2u);  // the repeated begin of fault 3 opens nothing
  EXPECT_EQ(h->faults[0].fault_id, 3);
  EXPECT_EQ(h->faults[0].begin, 1);
  EXPECT_EQ(h->faults[0].end, 5);
  EXPECT_EQ(h->faults[1].fault_id, 4);
  EXPECT_EQ(h->faults[1].end, 4);
  ASSERT_EQ(h->failed_faults.size(), 1u);
  EXPECT_EQ(h->failed_faults[0].t, 6);
  EXPECT_EQ(h->failed_faults[0].fault, "pause");
  EXPECT_EQ(h->failed_faults[0].target, "w2");
  EXPECT_EQ(h->failed_faults[0].error, "no such pid");

  auto bad =
      ParseHistory(R"({"t":1,"type":"fault","fault":"kill","phase":"begin","fault_id":"x"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "line 1: fault line: \"fault_id\" must be an integer");
}

TEST(HistoryReader, DecodesEscapedKeysAndAcceptsCrlfAndAMissingLastNewline) {
  auto h = ParseHistory(
      "{\"t\":1,\"type\":\"input\",\"id\":1,\"key\":\"k\\u00e9\",\"partition\":0,\"offset\":0,"
      "\"event_time\":0}\r\n"
      "{\"t\":2,\"type\":\"input\",\"id\":2,\"key\":\"k\xC3\xA9\",\"partition\":0,\"offset\":1,"
      "\"event_time\":0}\r\n"
      "{\"t\":3,\"type\":\"phase\",\"phase\":\"final-read\"}");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->keys.size(), 1u);
  EXPECT_EQ(h->keys[0], "k\xC3\xA9");
  EXPECT_EQ(h->inputs[1].key, 0u);
  EXPECT_TRUE(h->HasPhase("final-read"));
}

TEST(HistoryReader, NamesTheLineOfAMalformedOrIncompleteEvent) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::string good = R"({"t":1,"type":"phase","phase":"setup"})"
                           "\n";
  for (const Case& c : std::vector<Case>{
           {good + "{\"t\":2,\"type\":\"inp", "line 2: column 19: line ends inside a string"},
           {good + good + "not json\n" + good, "line 3: column 1: expected '{'"},
           {good + R"({"t":2,"type":"input","key":"a","partition":0,"offset":0,"event_time":0})",
            "line 2: input line has no \"id\""},
           {good + R"({"t":2,"type":"output","id":-1,"count":1})",
            "line 2: output line: \"id\" must be a non-negative integer"},
           {good + R"({"t":"2","type":"output","id":1,"count":1})",
            "line 2: output line: \"t\" must be an integer"},
           {good + R"({"t":2,"type":"output","id":1,"count":1.5})",
            "line 2: output line: \"count\" must be an integer"},
           {good + R"({"t":2,"type":"output","id":1,"count":1,"committed":"yes"})",
            "line 2: output line: \"committed\" must be true or false"},
           {good + R"({"t":2,"type":"window","key":"a","start":0,"count":1})",
            "line 2: window line has no \"end\""},
           {good + R"({"t":2,"type":"input","id":1,"key":"a","partition":99999999999,)"
                   R"("offset":0,"event_time":0})",
            "line 2: input line: \"partition\" must be an integer in range"},
           {good + R"({"t":2,"phase":"setup"})", "line 2: the object has no \"type\" member"},
           {good + R"({"t":2,"type":7})", "line 2: \"type\" must be a string"},
           {good + "\n\n" + R"({"type":"meta","seed":-3})",
            "line 4: meta line: \"seed\" must be a non-negative integer"},
       }) {
    auto h = ParseHistory(c.text);
    ASSERT_FALSE(h.ok()) << c.text;
    EXPECT_TRUE(h.status().IsCorruption());
    EXPECT_EQ(h.status().message().rfind(c.error, 0), 0u)
        << "got: " << h.status().message() << "\nwant: " << c.error;
  }
}

TEST(HistoryReader, ChunkBoundariesDoNotMatter) {
  std::string text = kDesignExample;
  auto whole = ParseHistory(text);
  ASSERT_TRUE(whole.ok());
  for (size_t chunk : {1, 2, 7, 64}) {
    HistoryReader reader;
    for (size_t pos = 0; pos < text.size(); pos += chunk) {
      ASSERT_TRUE(reader.Feed(std::string_view(text).substr(pos, chunk)).ok());
    }
    auto h = reader.Finish();
    ASSERT_TRUE(h.ok()) << chunk;
    EXPECT_EQ(h->lines, whole->lines);
    EXPECT_EQ(h->inputs.size(), 1u);
    EXPECT_EQ(h->outputs.size(), 1u);
    EXPECT_EQ(h->windows.size(), 1u);
    EXPECT_EQ(h->end_t, whole->end_t);
  }
}

TEST(HistoryReader, ReadsFilesAndNamesThemInErrors) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("history.jsonl"), kDesignExample).ok());
  auto h = ReadHistoryFile(dir.File("history.jsonl"));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->lines, 7u);
  ASSERT_TRUE(WriteFileAtomic(dir.File("bad.jsonl"), std::string(kDesignExample) + "{oops\n").ok());
  auto bad = ReadHistoryFile(dir.File("bad.jsonl"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind(dir.File("bad.jsonl") + ": line 8: column 2", 0), 0u)
      << bad.status().message();
  auto missing = ReadHistoryFile(dir.File("none.jsonl"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kIoError);
}

TEST(HistoryReader, ModeAndJobNames) {
  for (Mode m : {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce}) {
    EXPECT_EQ(ParseMode(ModeName(m)), m);
  }
  EXPECT_FALSE(ParseMode("exactly-twice").has_value());
  EXPECT_EQ(ParseJobKind("count"), JobKind::kCount);
  EXPECT_EQ(ParseJobKind("window-count"), JobKind::kWindowCount);
  EXPECT_FALSE(ParseJobKind("sum").has_value());
}

}  // namespace
}  // namespace faultline::checkers
