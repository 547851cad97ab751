// The `command` system kind as a user brings a system: the worked example (toyq, a toy durable
// queue in Python) judged valid, its planted bug caught, and adapters that break the protocol
// (a malformed line, an early exit, silence) making the run unknown with the offending line and
// their stderr, leaving no process behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/scenario_runner.h"

namespace faultline {
namespace {

// The shipped example scenario, shortened and in one mode.
nlohmann::json ToyqScenario(const std::string& file = "command-toyq.json") {
  auto text = ReadFileToString(SourceDir() + "/scenarios/" + file);
  EXPECT_TRUE(text.ok());
  nlohmann::json s = nlohmann::json::parse(text.ok() ? *text : "{}");
  // Written to a temporary directory: {scenario_dir} must now point at the repository.
  std::string dumped = s.dump();
  for (size_t at; (at = dumped.find("{scenario_dir}/..")) != std::string::npos;)
    dumped.replace(at, 17, SourceDir());
  return nlohmann::json::parse(dumped);
}

// A system whose node is `sleep` and whose client and reader are the given shell scripts, each
// ending in a comment naming `marker`, so that a test can look for processes left behind.
nlohmann::json AdapterScenario(const std::string& name, const std::string& marker,
                               const std::string& client, const std::string& reader = "sleep 60") {
  return {{"name", name},
          {"seed", 1},
          {"duration_s", 2},
          {"mode", "exactly-once"},
          {"system",
           {{"kind", "command"},
            {"nodes", {{{"id", "n1"}, {"command", {"sleep", "60"}}}}},
            {"ready", {{"command", {"true"}}}},
            {"client", {{"command", {"sh", "-c", client + " # " + marker}}, {"timeout_ms", 1000}}},
            {"reader", {{"command", {"sh", "-c", reader + " # " + marker}}}},
            {"quiescence", {{"idle_ms", 500}}}}},
          {"workload", {{"rate", 20}, {"keys", 2}}},
          {"quiesce", {{"timeout_s", 10}}}};
}

std::string UnknownReason(const ScenarioRun& r) {
  nlohmann::json results = Results(r.run_dir);
  EXPECT_EQ(results["valid"], "unknown") << results.dump(2);
  if (!results["unknown_reasons"].is_array() || results["unknown_reasons"].empty()) return "";
  return results["unknown_reasons"][0].get<std::string>();
}

TEST(CommandSystem, TheToyQueueIsValidInEveryMode) {
  ScenarioRunner runner;
  nlohmann::json s = ToyqScenario();
  s["duration_s"] = 5;
  s["nemesis"] = nlohmann::json::parse(
      R"([{"fault": "kill", "target": "queue", "at_s": 2, "duration_s": 1}])");
  ScenarioRun r = runner.Run(s);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* mode : {"at-most-once", "at-least-once", "exactly-once"}) {
    nlohmann::json results = Results(r.ModeDir(mode));
    EXPECT_EQ(results["valid"], true) << mode << ": " << results.dump(2).substr(0, 3000);
    EXPECT_GT(results["stats"]["outputs"].get<int>(), 500) << mode;
    std::vector<std::string> faults;
    for (const auto& f : HistoryLines(r.ModeDir(mode), "fault"))
      faults.push_back(f["phase"].get<std::string>());
    EXPECT_EQ(faults, (std::vector<std::string>{"begin", "end"})) << mode;
  }
  EXPECT_EQ(CountProcessesMentioning(runner.store()), 0);
}

TEST(CommandSystem, TheToyQueuesPlantedBugIsCaught) {
  ScenarioRunner runner;
  nlohmann::json s = ToyqScenario("command-toyq-buggy.json");
  s["mode"] = "exactly-once";
  s["duration_s"] = 6;
  s["nemesis"] = nlohmann::json::parse(
      R"([{"fault": "kill", "target": "queue", "every_s": 2, "start_s": 1, "duration_s": 0.5}])");
  ScenarioRun r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  nlohmann::json results = Results(r.run_dir);
  EXPECT_GT(results["checkers"]["delivery"]["lost"].get<int>(), 0) << results.dump(2);
}

TEST(CommandSystem, AMalformedAckMakesTheRunUnknownNamingTheLine) {
  ScenarioRunner runner;
  ScenarioRun r = runner.Run(
      AdapterScenario("malformed", runner.dir().path(),
                      "read line; echo 'about to fail' >&2; echo 'this is not json'; sleep 60"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  std::string why = UnknownReason(r);
  EXPECT_NE(why.find("this is not json"), std::string::npos) << why;
  EXPECT_NE(why.find("about to fail"), std::string::npos) << "the stderr tail: " << why;
  EXPECT_EQ(CountProcessesMentioning(runner.dir().path()), 0);
}

TEST(CommandSystem, AnAdapterThatExitsMakesTheRunUnknown) {
  ScenarioRunner runner;
  ScenarioRun r =
      runner.Run(AdapterScenario("exits", runner.dir().path(), "read line; echo bye >&2; exit 3"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  std::string why = UnknownReason(r);
  EXPECT_NE(why.find("exited with code 3"), std::string::npos) << why;
  EXPECT_NE(why.find("bye"), std::string::npos) << why;
  EXPECT_EQ(CountProcessesMentioning(runner.dir().path()), 0);
}

TEST(CommandSystem, ASilentAdapterMakesTheRunUnknownAfterItsTimeout) {
  ScenarioRunner runner;
  ScenarioRun r = runner.Run(AdapterScenario("silent", runner.dir().path(), "sleep 60"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  std::string why = UnknownReason(r);
  EXPECT_NE(why.find("within 1000 ms"), std::string::npos) << why;
  EXPECT_EQ(CountProcessesMentioning(runner.dir().path()), 0);
}

TEST(CommandSystem, AReaderPrintingGarbageMakesTheRunUnknown) {
  ScenarioRunner runner;
  // Acks every send ok; its braces are doubled, as every literal brace of a command is.
  const std::string acker =
      "while read line; do id=$(echo \"$line\" | sed 's/.*\"id\":\\([0-9]*\\).*/\\1/'); "
      "printf '{{\"op\":\"ack\",\"id\":%s,\"status\":\"ok\"}}\\n' \"$id\"; done";
  ScenarioRun r = runner.Run(AdapterScenario("garbage", runner.dir().path(), acker,
                                             "echo '{{\"id\": \"seven\"}}'; sleep 60"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  ASSERT_NE(r.run_dir, "") << r.out;
  std::string why = UnknownReason(r);
  EXPECT_NE(why.find("the reader printed"), std::string::npos) << why;
  EXPECT_NE(why.find("$.id is not an id"), std::string::npos) << why;
}

TEST(CommandSystem, BadPlaceholdersAreRefusedBeforeAnythingStarts) {
  ScenarioRunner runner;
  nlohmann::json s = AdapterScenario("placeholder", "-", "cat");
  s["system"]["nodes"][0]["command"] = {"prog", "--port", "{prot}"};
  ScenarioRun r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("$.system.nodes[0].command[2]: unknown placeholder {prot}"),
            std::string::npos)
      << r.out;
  s = AdapterScenario("placeholder", "-", "cat");
  s["system"]["client"]["command"] = {"prog", "{addr:n9}"};
  r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("$.system.client.command[1]: {addr:n9}: no node 'n9'"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.run_dir, "") << "nothing ran";
}

}  // namespace
}  // namespace faultline
