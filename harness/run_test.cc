// The harness against a System of the test's own: real node processes, an in-memory pipeline
// behind the client and the reader, sends that end ok, fail or unknown, nodes that do not
// start, and faults that do or do not take effect.
#include "harness/run.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/file.h"
#include "base/test_util.h"
#include "systems/network.h"
#include "systems/node_set.h"

namespace faultline::harness {
namespace {

using systems::Delivery;
using systems::Record;
using systems::SendOutcome;
using systems::SendStatus;

struct FakeOptions {
  std::vector<std::string> node_argv = {"/bin/sleep", "60"};
  uint64_t lost_id = UINT64_MAX;       // an ok send the system never delivers
  uint64_t broken_id = UINT64_MAX;     // the client breaks (a Status error) at this send
  bool never_ready = false;            // Ready() never says yes: only a node's exit ends the wait
  uint64_t retracted_id = UINT64_MAX;  // delivered, then taken back for good
  const char* halted = nullptr;        // the system halts at the quiesce, saying this
};

// What the client sends and the reader delivers.
struct Pipe {
  std::mutex mu;
  std::vector<Delivery> pending;  // guarded by mu
  int64_t delivered = 0;          // guarded by mu
};

// Sends end by id: 1 in 5 unknown (half of those delivered), 1 in 7 of the rest fail (never
// delivered), every other ok and delivered (but `lost_id`).
class FakeClient : public systems::Client {
 public:
  FakeClient(Pipe* pipe, const FakeOptions& options) : pipe_(pipe), options_(options) {}
  Result<std::vector<SendOutcome>> Send(std::span<const Record> records) override {
    std::vector<SendOutcome> out(records.size());
    for (const Record& r : records) {
      if (r.id == options_.broken_id) return Status::Corruption("the adapter said \"?\"");
    }
    std::lock_guard<std::mutex> lock(pipe_->mu);
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      out[i].ack_mono_ns = MonotonicNanos();
      bool deliver = true;
      if (r.id % 5 == 1) {
        out[i].status = SendStatus::kUnknown;
        out[i].error = "timed out";
        deliver = r.id % 10 == 1;
      } else if (r.id % 7 == 3) {
        out[i].status = SendStatus::kFail;
        out[i].error = "refused";
        deliver = false;
      } else {
        out[i].status = SendStatus::kOk;
        deliver = r.id != options_.lost_id;
      }
      if (!deliver) continue;
      Delivery d;
      d.id = r.id;
      d.key = r.key;
      if (r.id == options_.retracted_id) d.source = "fake-retracted";
      pipe_->pending.push_back(std::move(d));
    }
    return out;
  }

 private:
  Pipe* pipe_;
  FakeOptions options_;
};

// Delivers what the client put in the pipe; a delivery from "fake-retracted" is taken back by
// the next poll.
class FakeReader : public systems::Reader {
 public:
  explicit FakeReader(Pipe* pipe) : pipe_(pipe) {}
  Status Poll(std::vector<Delivery>* out) override {
    std::lock_guard<std::mutex> lock(pipe_->mu);
    if (retract_next_) {
      Delivery back;
      back.kind = Delivery::Kind::kRetraction;
      back.source = "fake-retracted";
      out->push_back(std::move(back));
      retract_next_ = false;
    }
    for (Delivery& d : pipe_->pending) {
      retract_next_ = retract_next_ || d.source == "fake-retracted";
      out->push_back(std::move(d));
    }
    pipe_->delivered += static_cast<int64_t>(pipe_->pending.size());
    pipe_->pending.clear();
    return Status::Ok();
  }

 private:
  Pipe* pipe_;
  bool retract_next_ = false;
};

// Two "server" nodes as real processes, no failpoints, plain record delivery.
class FakeSystem : public systems::System {
 public:
  explicit FakeSystem(FakeOptions options) : options_(std::move(options)) {}
  std::string_view kind() const override { return "fake"; }
  std::vector<systems::NodeSpec> Nodes() const override {
    return {{"server-1", "server"}, {"server-2", "server"}};
  }
  std::string job() const override { return "delivery"; }
  systems::Capabilities capabilities() const override { return {}; }
  Status Setup(const systems::SystemContext& ctx) override {
    for (const auto& n : Nodes()) {
      ASSIGN_OR_RETURN(auto argv, ctx.network->Command(n.id, options_.node_argv));
      RETURN_IF_ERROR(nodes_.Add(n, argv, JoinPath(ctx.run_dir, "nodes/" + n.id)));
    }
    return Status::Ok();
  }
  systems::NodeSet& nodes() override { return nodes_; }
  Result<bool> Ready() override { return !options_.never_ready; }
  Result<std::unique_ptr<systems::Client>> OpenClient() override {
    return std::unique_ptr<systems::Client>(new FakeClient(&pipe_, options_));
  }
  Result<std::unique_ptr<systems::Reader>> OpenReader(bool) override {
    return std::unique_ptr<systems::Reader>(new FakeReader(&pipe_));
  }
  bool Quiescent(const systems::DeliveryProgress& progress) override {
    if (options_.halted != nullptr) return false;
    std::lock_guard<std::mutex> lock(pipe_.mu);
    return pipe_.pending.empty() && progress.committed_seen == pipe_.delivered;
  }
  std::optional<std::string> Halted() override {
    if (options_.halted == nullptr) return std::nullopt;
    return std::string(options_.halted);
  }

 private:
  FakeOptions options_;
  systems::NodeSet nodes_;
  Pipe pipe_;
};

class FakeSystemRun : public ::testing::Test {
 protected:
  // Runs `scenario_json` (a scenario without its name and mode) against a FakeSystem.
  Result<std::vector<RunOutcome>> Run(const nlohmann::json& scenario_json, FakeOptions fake = {}) {
    nlohmann::json j = scenario_json;
    j["name"] = "fake";
    j["mode"] = "exactly-once";
    if (!j.contains("duration_s")) j["duration_s"] = 1;
    if (!j.contains("workload")) j["workload"] = {{"rate", 400}, {"keys", 5}};
    j["quiesce"] = {{"timeout_s", 10}};
    auto scenario = ParseScenario(j.dump(), "fake.json");
    if (!scenario.ok()) return scenario.status();
    RunOptions options;
    options.store_dir = store_.path();
    options.scenario_path = "fake.json";
    options.make_system = [fake](const Scenario&) -> Result<std::unique_ptr<systems::System>> {
      return std::unique_ptr<systems::System>(new FakeSystem(fake));
    };
    return RunScenario(*scenario, options);
  }

  // The history's lines of `type`.
  static std::vector<nlohmann::json> Lines(const RunOutcome& o, const std::string& type) {
    std::vector<nlohmann::json> out;
    auto text = ReadFileToString(JoinPath(o.run_dir, "history.jsonl"));
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    std::istringstream in(text.ok() ? *text : "");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j.value("type", "") == type) out.push_back(std::move(j));
    }
    return out;
  }

  static nlohmann::json Results(const RunOutcome& o) {
    auto text = ReadFileToString(JoinPath(o.run_dir, "results.json"));
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return nlohmann::json::parse(text.ok() ? *text : "{}");
  }

  TempDir store_;
};

TEST_F(FakeSystemRun, SendsEndingUnknownOrFailAreNotLost) {
  auto outcomes = Run(nlohmann::json::object());
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  ASSERT_EQ(outcomes->size(), 1u);
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kValid) << o.summary;
  std::map<std::string, int> statuses;
  for (const auto& in : Lines(o, "input")) {
    ++statuses[in.value("status", "?")];
    EXPECT_GE(in["ack_t"].get<int64_t>(), in["t"].get<int64_t>()) << in.dump();
  }
  EXPECT_GT(statuses["ok"], 100);
  EXPECT_GT(statuses["unknown"], 20);
  EXPECT_GT(statuses["fail"], 5);
  EXPECT_EQ(statuses.size(), 3u);
  nlohmann::json results = Results(o);
  EXPECT_EQ(results["checkers"]["delivery"]["lost"], 0) << results.dump(2);
  EXPECT_FALSE(results["checkers"]["state"]["applicable"].get<bool>());
  auto meta = Lines(o, "meta");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0]["system"], "fake");
  EXPECT_EQ(meta[0]["job"], "delivery");
}

TEST_F(FakeSystemRun, AnAcknowledgedSendNeverDeliveredIsLost) {
  auto outcomes =
      Run(nlohmann::json::object(), {.lost_id = 12});  // 12 % 5 != 1 and 12 % 7 != 3: an ok send
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kInvalid) << o.summary;
  nlohmann::json results = Results(o);
  EXPECT_EQ(results["checkers"]["delivery"]["lost"], 1) << results.dump(2);
  EXPECT_EQ(results["checkers"]["delivery"]["examples"]["lost"][0]["id"], 12);
}

TEST_F(FakeSystemRun, AClientThatBreaksMakesTheRunUnknownAndSaysWhy) {
  auto outcomes = Run(nlohmann::json::object(), {.broken_id = 100});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kUnknown) << o.summary;
  nlohmann::json results = Results(o);
  ASSERT_EQ(results["unknown_reasons"].size(), 1u) << results.dump(2);
  EXPECT_NE(results["unknown_reasons"][0].get<std::string>().find("the adapter said"),
            std::string::npos)
      << results.dump(2);
  EXPECT_LT(Lines(o, "input").size(), 200u) << "generation stops when the client breaks";
}

TEST_F(FakeSystemRun, ASystemThatHaltsMakesTheRunUnknownAndSaysWhy) {
  auto outcomes = Run(nlohmann::json::object(), {.halted = "the job failed: chk-3 is unreadable"});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kUnknown) << o.summary;
  nlohmann::json results = Results(o);
  ASSERT_EQ(results["unknown_reasons"].size(), 1u) << results.dump(2);
  EXPECT_NE(results["unknown_reasons"][0].get<std::string>().find(
                "the system halted: the job failed: chk-3 is unreadable"),
            std::string::npos)
      << results.dump(2);
  for (const auto& phase : Lines(o, "phase")) EXPECT_NE(phase["phase"], "final-read");
}

TEST_F(FakeSystemRun, CommittedOutputTakenBackIsRetractedAndLost) {
  auto outcomes = Run(nlohmann::json::object(), {.retracted_id = 12});  // an ok send
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  EXPECT_EQ(o.verdict, checkers::Verdict::kInvalid) << o.summary;
  auto retractions = Lines(o, "retraction");
  ASSERT_EQ(retractions.size(), 1u);
  EXPECT_EQ(retractions[0]["source"], "fake-retracted");
  EXPECT_EQ(retractions[0]["kept"], 0);
  nlohmann::json results = Results(o);
  EXPECT_EQ(results["checkers"]["visibility"]["retracted"], 1) << results.dump(2);
  EXPECT_EQ(results["checkers"]["visibility"]["examples"]["retracted"][0]["id"], 12);
  EXPECT_EQ(results["checkers"]["delivery"]["lost"], 1) << results.dump(2);
}

TEST_F(FakeSystemRun, ANodeThatCannotStartIsAHarnessError) {
  auto outcomes = Run(nlohmann::json::object(), {.node_argv = {"/nonexistent/fake-node"}});
  ASSERT_FALSE(outcomes.ok());
  EXPECT_NE(outcomes.status().message().find("server-1"), std::string::npos)
      << outcomes.status().ToString();
}

TEST_F(FakeSystemRun, ANodeThatExitsAtOnceIsAHarnessErrorNamingItsLog) {
  auto outcomes =
      Run(nlohmann::json::object(),
          {.node_argv = {"/bin/sh", "-c", "echo no config >&2; exit 3"}, .never_ready = true});
  ASSERT_FALSE(outcomes.ok());
  const std::string& message = outcomes.status().message();
  EXPECT_NE(message.find("exited with code 3"), std::string::npos) << message;
  EXPECT_NE(message.find("/nodes/server-"), std::string::npos) << message;
  EXPECT_NE(message.find("stderr"), std::string::npos) << message;
}

TEST_F(FakeSystemRun, AFaultIsRecordedOnlyOnceItTookEffect) {
  // server-2 is killed for good at 0.2 s; pausing it at 0.5 s cannot take effect.
  auto outcomes = Run(nlohmann::json::parse(R"({
      "nemesis": [
        {"fault": "kill", "target": "server-2", "at_s": 0.2, "duration_s": 0.1,
         "params": {"restart": false}},
        {"fault": "pause", "target": "role:server:all", "at_s": 0.5}
      ],
      "max_active_faults": 2})"));
  ASSERT_TRUE(outcomes.ok()) << outcomes.status().ToString();
  const RunOutcome& o = (*outcomes)[0];
  std::vector<std::string> edges;
  for (const auto& f : Lines(o, "fault")) {
    edges.push_back(f["fault"].get<std::string>() + " " + f["target"].get<std::string>() + " " +
                    f["phase"].get<std::string>());
  }
  EXPECT_EQ(edges, (std::vector<std::string>{"kill server-2 begin", "kill server-2 end",
                                             "pause server-1 begin", "pause server-2 failed",
                                             "pause server-1 end"}));
  nlohmann::json failed = Results(o)["failed_faults"];
  ASSERT_EQ(failed.size(), 1u) << failed.dump();
  EXPECT_EQ(failed[0]["target"], "server-2");
  // The run still ends valid: the harness restarted server-2 at the heal.
  EXPECT_EQ(o.verdict, checkers::Verdict::kValid) << o.summary;
}

TEST_F(FakeSystemRun, FaultsThatReadRuntimeFramesAreRefusedOnOtherSystems) {
  auto outcomes = Run(nlohmann::json::parse(R"({
      "cluster": {"network": "proxy"},
      "nemesis": [{"fault": "barrier-hold", "target": "server-1", "at_s": 0.2,
                   "params": {"hold_ms": 100}}]})"));
  ASSERT_FALSE(outcomes.ok());
  EXPECT_NE(outcomes.status().message().find("$.nemesis[0]"), std::string::npos)
      << outcomes.status().ToString();
  EXPECT_NE(outcomes.status().message().find("runtime's frames"), std::string::npos)
      << outcomes.status().ToString();
}

TEST_F(FakeSystemRun, TargetsNamingNoNodeAreRefused) {
  auto outcomes = Run(nlohmann::json::parse(
      R"({"nemesis": [{"fault": "kill", "target": "role:broker", "at_s": 0.2}]})"));
  ASSERT_FALSE(outcomes.ok());
  EXPECT_NE(outcomes.status().message().find("no node has role 'broker'"), std::string::npos)
      << outcomes.status().ToString();
}

}  // namespace
}  // namespace faultline::harness
