// The runtime as a user runs it: a coordinator and two workers as real processes on loopback,
// 50k records produced into the input log, a process killed with SIGKILL mid-stream and
// restarted, and the committed output read back and judged against the mode's promise.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/file.h"
#include "base/test_util.h"

namespace faultline {
namespace {

constexpr int kRecords = 50'000;
constexpr int kKeys = 20;

struct Output {
  std::map<uint64_t, int> copies;                // id -> committed copies
  std::map<std::string, std::vector<int64_t>> counts;  // key -> counts seen
  size_t total = 0;
};

class Cluster {
 public:
  explicit Cluster(const std::string& mode) {
    config_ = dir_.File("cfg.json");
    CommandResult r = RunCommand(BinPath("faultline-node") + " example-config --workers 2 --mode " +
                                 mode + " --dir " + dir_.File("job") + " > " + config_);
    EXPECT_EQ(r.exit_code, 0) << r.out;
  }

  void StartCoordinator(std::vector<std::string> env = {}) {
    coordinator_ = Start({"coordinator"}, "coordinator", std::move(env));
  }
  void StartWorker(int i, std::vector<std::string> env = {}) {
    workers_[i] = Start({"worker", "--id", "worker-" + std::to_string(i)}, "worker-" + std::to_string(i),
                        std::move(env));
  }
  TestProcess& coordinator() { return *coordinator_; }
  TestProcess& worker(int i) { return *workers_[i]; }

  std::unique_ptr<TestProcess> Produce(int count, int rate) {
    return Start({"produce", "--count", std::to_string(count), "--keys", std::to_string(kKeys),
                  "--rate", std::to_string(rate), "--seed", "7"},
                 "produce", {});
  }

  Output Consume() {
    CommandResult r = RunCommand(BinPath("faultline-node") + " consume --config " + config_);
    EXPECT_EQ(r.exit_code, 0) << r.out.substr(0, 2000);
    Output out;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        ADD_FAILURE() << "bad consume line: " << line;
        continue;
      }
      ++out.copies[j["id"].get<uint64_t>()];
      out.counts[j["key"].get<std::string>()].push_back(j["count"].get<int64_t>());
      ++out.total;
    }
    return out;
  }

  int CompletedCheckpoints() {
    CommandResult r = RunCommand(BinPath("faultline-node") + " admin --config " + config_ + " status");
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("completed_checkpoints")) return -1;
    return j["completed_checkpoints"].get<int>();
  }

  // Waits until every id is delivered, or until three more checkpoints complete without the
  // output growing (at-most-once loses records for good), bounded by a deadline.
  Output AwaitQuiescence(int expected_ids) {
    Deadline deadline = Deadline::AfterMillis(90'000);
    Output out;
    size_t last_total = 0;
    int quiet_from = -1;
    PollUntil(
        [&] {
          out = Consume();
          if (static_cast<int>(out.copies.size()) >= expected_ids) return true;
          int done = CompletedCheckpoints();
          if (out.total != last_total || done < 0) {
            last_total = out.total;
            quiet_from = done;
            return false;
          }
          return quiet_from >= 0 && done >= quiet_from + 3;
        },
        deadline, 250);
    return out;
  }

  // Waits until some committed output exists, so that a fault lands mid-stream.
  void AwaitOutput(size_t at_least) {
    ASSERT_TRUE(PollUntil([&] { return Consume().total >= at_least; }, Deadline::AfterMillis(60'000), 50))
        << "no output appeared; see " << dir_.path();
  }

  std::string Events(const std::string& node) {
    auto text = ReadFileToString(dir_.File("job/" + node + "/events.jsonl"));
    return text.ok() ? *text : "";
  }

 private:
  std::unique_ptr<TestProcess> Start(std::vector<std::string> args, const std::string& log,
                                     std::vector<std::string> env) {
    std::vector<std::string> argv = {BinPath("faultline-node")};
    argv.push_back(args[0]);
    argv.push_back("--config");
    argv.push_back(config_);
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return std::make_unique<TestProcess>(argv, dir_.File(log + ".log"), std::move(env));
  }

  TempDir dir_;
  std::string config_;
  std::unique_ptr<TestProcess> coordinator_;
  std::map<int, std::unique_ptr<TestProcess>> workers_;
};

void ExpectExactlyOnce(const Output& out) {
  int lost = 0, duplicated = 0;
  for (int id = 0; id < kRecords; ++id) {
    auto it = out.copies.find(id);
    if (it == out.copies.end()) {
      ++lost;
    } else if (it->second > 1) {
      ++duplicated;
    }
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(out.total, static_cast<size_t>(kRecords));
  for (const auto& [key, counts] : out.counts) {
    std::vector<int64_t> sorted = counts;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      ASSERT_EQ(sorted[i], static_cast<int64_t>(i + 1)) << "key " << key << ": counts are not 1..n";
    }
  }
}

class KillWorker : public ::testing::TestWithParam<std::string> {};

TEST_P(KillWorker, MidStreamAndRestart) {
  const std::string mode = GetParam();
  Cluster c(mode);
  c.StartCoordinator();
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  c.AwaitOutput(10'000);
  c.worker(1).Signal(SIGKILL);
  c.worker(1).WaitFor(5000);
  c.StartWorker(1);
  ASSERT_NE(producer->WaitFor(60'000), -1);
  Output out = c.AwaitQuiescence(kRecords);
  EXPECT_NE(c.Events("coordinator").find("\"restore\""), std::string::npos)
      << "the job never restored from a checkpoint";
  if (mode == "exactly-once") {
    ExpectExactlyOnce(out);
  } else if (mode == "at-least-once") {
    for (int id = 0; id < kRecords; ++id) ASSERT_GE(out.copies[id], 1) << "id " << id << " lost";
  } else {
    for (const auto& [id, n] : out.copies) ASSERT_EQ(n, 1) << "id " << id << " duplicated";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, KillWorker,
                         ::testing::Values("exactly-once", "at-least-once", "at-most-once"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ExactlyOnce, CoordinatorKilledAndRestarted) {
  Cluster c("exactly-once");
  c.StartCoordinator();
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  c.AwaitOutput(10'000);
  c.coordinator().Signal(SIGKILL);
  c.coordinator().WaitFor(5000);
  c.StartCoordinator();
  ASSERT_NE(producer->WaitFor(60'000), -1);
  ExpectExactlyOnce(c.AwaitQuiescence(kRecords));
}

TEST(ExactlyOnce, CrashBetweenPreCommitAndCommit) {
  Cluster c("exactly-once");
  c.StartCoordinator();
  // worker-1 hosts sink-0: it dies at its first commit, after the pre-commit.
  c.StartWorker(1, {"FAULTLINE_FAILPOINTS=sink.commit.before_rename=1*crash"});
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  int status = c.worker(1).WaitFor(60'000);
  ASSERT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the failpoint never fired";
  c.StartWorker(1);
  ASSERT_NE(producer->WaitFor(60'000), -1);
  ExpectExactlyOnce(c.AwaitQuiescence(kRecords));
}

TEST(ExactlyOnce, CoordinatorCrashAfterMetadataBeforeNotify) {
  Cluster c("exactly-once");
  c.StartCoordinator({"FAULTLINE_FAILPOINTS=coordinator.checkpoint.after_metadata_before_notify=1*crash"});
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kRecords, 25'000);
  int status = c.coordinator().WaitFor(60'000);
  ASSERT_TRUE(status != -1 && WIFSIGNALED(status)) << "the failpoint never fired";
  c.StartCoordinator();
  ASSERT_NE(producer->WaitFor(60'000), -1);
  ExpectExactlyOnce(c.AwaitQuiescence(kRecords));
  EXPECT_NE(c.Events("worker-1").find("\"on_restore\":true") + c.Events("worker-2").find("\"on_restore\":true"),
            2 * std::string::npos)
      << "no sink committed its pre-committed transaction on restore";
}

}  // namespace
}  // namespace faultline
