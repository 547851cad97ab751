// A real mosquitto broker under the harness: QoS 0, 1 and 2 from the three modes without
// faults, a broker killed under QoS 1 (what happens is measured, not assumed: see
// docs/systems/mosquitto.md), and the errors of a bad setup.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/scenario_runner.h"

namespace faultline {
namespace {

nlohmann::json Mqtt(const std::string& name,
                    const nlohmann::json& system = nlohmann::json::object()) {
  nlohmann::json s = {{"name", name},
                      {"seed", 5},
                      {"duration_s", 3},
                      {"mode", {"at-most-once", "at-least-once", "exactly-once"}},
                      {"system", {{"kind", "mosquitto"}}},
                      {"cluster", {{"network", "proxy"}}},
                      {"workload", {{"rate", 500}, {"keys", 5}}},
                      {"quiesce", {{"timeout_s", 30}}}};
  for (const auto& [k, v] : system.items()) s["system"][k] = v;
  return s;
}

TEST(Mosquitto, EveryQosDeliversEverythingWithoutFaults) {
  ScenarioRunner runner;
  ScenarioRun r = runner.Run(Mqtt("mqtt-clean"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  int qos = 0;
  for (const char* mode : {"at-most-once", "at-least-once", "exactly-once"}) {
    nlohmann::json results = Results(r.ModeDir(mode));
    EXPECT_EQ(results["valid"], true) << mode;
    EXPECT_EQ(results["checkers"]["delivery"]["lost"], 0) << mode;
    EXPECT_EQ(results["checkers"]["delivery"]["duplicated"], 0) << mode;
    EXPECT_GT(results["stats"]["inputs_ok"].get<int>(), 1000) << mode;
    auto meta = HistoryLines(r.ModeDir(mode), "meta");
    ASSERT_EQ(meta.size(), 1u);
    EXPECT_EQ(meta[0]["system"], "mosquitto");
    EXPECT_EQ(meta[0]["qos"], qos++) << mode;
  }
  EXPECT_TRUE(PathExists(JoinPath(r.run_dir, "report.html"))) << "the comparison report";
  EXPECT_EQ(CountProcessesMentioning(runner.store()), 0) << "the broker was stopped";
}

TEST(Mosquitto, ABrokerKilledUnderQos1IsJudgedAndItsClientsReconnect) {
  ScenarioRunner runner;
  nlohmann::json s = Mqtt("mqtt-kill");
  s["mode"] = "at-least-once";
  s["duration_s"] = 5;
  s["nemesis"] = nlohmann::json::parse(
      R"([{"fault": "kill", "target": "broker", "at_s": 2, "duration_s": 1}])");
  ScenarioRun r = runner.Run(s);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.out;  // judged either way
  std::vector<std::string> events;
  for (const auto& e : HistoryLines(r.run_dir, "runtime")) {
    if (e["node"] == "subscriber") events.push_back(e["event"].get<std::string>());
  }
  EXPECT_GE(std::count(events.begin(), events.end(), "client-disconnected"), 1);
  EXPECT_GE(std::count(events.begin(), events.end(), "client-connected"), 2);
  nlohmann::json results = Results(r.run_dir);
  EXPECT_TRUE(results["valid"].is_boolean()) << "judged, not unknown: " << results.dump(2);
  // Deliveries resumed after the restart: the last output comes after the kill ended.
  int64_t last_output = 0;
  for (const auto& o : HistoryLines(r.run_dir, "output")) last_output = o["t"];
  EXPECT_GT(last_output, 3'000'000'000) << "nothing was delivered after the broker came back";
}

TEST(Mosquitto, BadSetupsAreRefusedNamingWhatToDo) {
  ScenarioRunner runner;
  ScenarioRun r = runner.Run(Mqtt("mqtt-nobinary", {{"binary", "/nonexistent/mosquitto"}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("install Debian's package mosquitto"), std::string::npos) << r.out;

  r = runner.Run(Mqtt("mqtt-typo", {{"max_queued_msgs", 5}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("$.system.max_queued_msgs: unknown key"), std::string::npos) << r.out;

  nlohmann::json s = Mqtt("mqtt-job");
  s["job"] = {{"operator", "count"}};
  r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("$.job: only the built-in runtime"), std::string::npos) << r.out;

  s = Mqtt("mqtt-frames");
  s["nemesis"] = nlohmann::json::parse(
      R"([{"fault": "barrier-hold", "target": "broker", "at_s": 1, "params": {"hold_ms": 10}}])");
  r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("runtime's frames"), std::string::npos) << r.out;

  s = Mqtt("mqtt-kill-client");
  s["nemesis"] = nlohmann::json::parse(R"([{"fault": "kill", "target": "subscriber", "at_s": 1}])");
  r = runner.Run(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("'subscriber' is a client of the harness"), std::string::npos) << r.out;
  EXPECT_EQ(CountProcessesMentioning(runner.store()), 0);
}

}  // namespace
}  // namespace faultline
