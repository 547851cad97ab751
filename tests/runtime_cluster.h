// Test support for the runtime integration tests: a Cluster of real `faultline-node`
// processes (a coordinator and two workers), driven as a user would: produce, signal,
// restart, consume. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/mode.h"
#include "base/test_util.h"
#include "systems/faultline/runtime_cluster.h"

namespace faultline {

constexpr int kRecords = 50'000;
constexpr int kKeys = 20;

struct Output {
  std::map<uint64_t, int> copies;                      // id -> committed copies
  std::map<std::string, std::vector<int64_t>> counts;  // key -> counts seen
  size_t total = 0;
};

// Cluster runs one job's nodes as real processes through the runtime's cluster driver (the
// one the harness and the benchmarks use), all under a fresh temporary directory: the job's
// files and cluster.json in job/, each node's logs and events in job/<id>/. Input comes from
// `faultline-node produce` and output is read with `faultline-node consume`, as a user would.
// Processes die with the object. Every wait is bounded. Not thread-safe: one test thread.
class Cluster {
 public:
  // `job`: job settings over the defaults (docs of faultline-node's config).
  explicit Cluster(const std::string& mode, nlohmann::json job = nlohmann::json::object()) {
    systems::RuntimeClusterOptions o;
    o.job = std::move(job);
    o.data_dir = dir_.File("job");
    o.nodes_dir = dir_.File("job");
    o.mode = *ParseMode(mode);
    o.workers = 2;
    o.node_binary = BinPath("faultline-node");
    auto cluster = systems::RuntimeCluster::Create(o);
    if (!cluster.ok()) {  // nothing below can run without it
      std::fprintf(stderr, "cannot set up the cluster: %s\n", cluster.status().ToString().c_str());
      std::exit(1);
    }
    cluster_ = std::move(*cluster);
  }

  void StartCoordinator(std::vector<std::string> env = {}) { Start("coordinator", env); }
  void StartWorker(int i, std::vector<std::string> env = {}) {
    Start("worker-" + std::to_string(i), env);
  }
  // SIGKILL, and waits until the node is reaped.
  void Kill(const std::string& node) {
    ::faultline::Status s = cluster_->Kill(node);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // How `node` ended, once it has (nullopt if it still runs at the deadline).
  std::optional<systems::ExitInfo> AwaitExit(const std::string& node, int64_t timeout_ms) {
    auto n = cluster_->node(node);
    if (!n.ok()) return std::nullopt;
    return (*n)->WaitForExit(Deadline::AfterMillis(timeout_ms));
  }

  std::unique_ptr<TestProcess> Produce(int count, int rate) {
    return Tool({"produce", "--count", std::to_string(count), "--keys", std::to_string(kKeys),
                 "--rate", std::to_string(rate), "--seed", "7"},
                "produce");
  }

  Output Consume() {
    CommandResult r = RunCommand(BinPath("faultline-node") + " consume --config " + config());
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

  // The coordinator's `status` reply, or null if it does not answer.
  nlohmann::json Status() {
    auto st = cluster_->QueryStatus();
    return st.ok() ? st->reply : nlohmann::json();
  }

  int CompletedCheckpoints() {
    auto st = cluster_->QueryStatus();
    return st.ok() ? static_cast<int>(st->completed) : -1;
  }

  // Waits until every id is delivered, or until the driver's quiescence rule says the output
  // stopped growing (at-most-once loses records for good), bounded by a deadline.
  Output AwaitQuiescence(int expected_ids) {
    systems::QuiescenceTracker quiescence(3, /*expect_every_id=*/true);
    Output out;
    PollUntil(
        [&] {
          out = Consume();
          std::optional<systems::CoordinatorStatus> status;
          if (auto st = cluster_->QueryStatus(); st.ok()) status = *st;
          return quiescence.Observe({expected_ids, static_cast<int64_t>(out.copies.size()),
                                     static_cast<int64_t>(out.total)},
                                    status, status && cluster_->OutputPending(*status));
        },
        Deadline::AfterMillis(90'000), 250);
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

  // A path under the job's directory: "checkpoints", "output", "worker-1/stderr", ...
  std::string JobPath(const std::string& relative) const { return dir_.File("job/" + relative); }
  const std::string& dir() const { return dir_.path(); }

 private:
  const std::string& config() const { return cluster_->config_path(); }

  void Start(const std::string& node, std::vector<std::string> env) {
    ::faultline::Status s = cluster_->Start(node, std::move(env));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A `faultline-node` tool (not a node) run against the cluster's config.
  std::unique_ptr<TestProcess> Tool(std::vector<std::string> args, const std::string& log) {
    std::vector<std::string> argv = {BinPath("faultline-node"), args[0], "--config", config()};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return std::make_unique<TestProcess>(argv, dir_.File(log + ".log"));
  }

  TempDir dir_;
  std::unique_ptr<systems::RuntimeCluster> cluster_;
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
