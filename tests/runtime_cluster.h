// Test support for the runtime integration tests: a Cluster of real `faultline-node`
// processes (a coordinator and two workers from `example-config`), driven as a user would:
// produce, signal, restart, consume. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/test_util.h"

namespace faultline {

constexpr int kRecords = 50'000;
constexpr int kKeys = 20;

struct Output {
  std::map<uint64_t, int> copies;                      // id -> committed copies
  std::map<std::string, std::vector<int64_t>> counts;  // key -> counts seen
  size_t total = 0;
};

// Cluster runs one job's nodes as real processes, all under a fresh temporary directory (config
// in cfg.json, job files in job/, each process's log in <name>.log). Processes die with the
// object. Every wait is bounded. Not thread-safe: one test thread.
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
    workers_[i] = Start({"worker", "--id", "worker-" + std::to_string(i)},
                        "worker-" + std::to_string(i), std::move(env));
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

  // The coordinator's `admin status` reply, or null if it does not answer.
  nlohmann::json Status() {
    CommandResult r =
        RunCommand(BinPath("faultline-node") + " admin --config " + config_ + " status");
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return nullptr;
    return j;
  }

  int CompletedCheckpoints() {
    nlohmann::json j = Status();
    if (!j.is_object() || !j.contains("completed_checkpoints")) return -1;
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
    ASSERT_TRUE(
        PollUntil([&] { return Consume().total >= at_least; }, Deadline::AfterMillis(60'000), 50))
        << "no output appeared; see " << dir_.path();
  }

  std::string Events(const std::string& node) {
    auto text = ReadFileToString(JobPath(node + "/events.jsonl"));
    return text.ok() ? *text : "";
  }

  // A path under the job's directory (example-config --dir): "checkpoints", "output", ...
  std::string JobPath(const std::string& relative) const { return dir_.File("job/" + relative); }
  const std::string& dir() const { return dir_.path(); }

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

// Every id in [0, records) exactly once, and each key's counts are 1..n.
inline void ExpectExactlyOnce(const Output& out, int records = kRecords) {
  int lost = 0, duplicated = 0;
  for (int id = 0; id < records; ++id) {
    auto it = out.copies.find(id);
    if (it == out.copies.end()) {
      ++lost;
    } else if (it->second > 1) {
      ++duplicated;
    }
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(out.total, static_cast<size_t>(records));
  for (const auto& [key, counts] : out.counts) {
    std::vector<int64_t> sorted = counts;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      ASSERT_EQ(sorted[i], static_cast<int64_t>(i + 1)) << "key " << key << ": counts are not 1..n";
    }
  }
}

}  // namespace faultline
