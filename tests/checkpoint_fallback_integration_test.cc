// A corrupt checkpoint, end to end: an exactly-once job with a few completed checkpoints loses
// a worker to SIGKILL; while it is down a state file of the newest completed checkpoint gets a
// flipped byte. On the worker's return the coordinator must notice the CRC mismatch, say so
// (`checkpoint-skipped`), restore from an older checkpoint, and the committed output must still
// be exactly-once.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "tests/runtime_cluster.h"

namespace faultline {
namespace {

constexpr int kFallbackRecords = 30'000;

// Ids of the completed checkpoints (chk-N with a _metadata) under `root`, ascending.
std::vector<int64_t> CompletedCheckpoints(const std::string& root) {
  std::vector<int64_t> ids;
  auto names = ListDir(root);
  if (!names.ok()) return ids;
  for (const std::string& name : *names) {
    if (name.rfind("chk-", 0) != 0) continue;
    int64_t id = 0;
    auto [end, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), id);
    if (ec != std::errc() || end != name.data() + name.size()) continue;
    if (PathExists(JoinPath(JoinPath(root, name), "_metadata"))) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<nlohmann::json> ParseEvents(const std::string& text) {
  std::vector<nlohmann::json> events;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) events.push_back(std::move(j));
  }
  return events;
}

bool HasWorker(const nlohmann::json& status, const std::string& worker) {
  if (!status.is_object() || !status.contains("workers")) return true;  // unknown: assume so
  const auto& w = status["workers"];
  return std::find(w.begin(), w.end(), worker) != w.end();
}

TEST(ExactlyOnce, CorruptNewestCheckpointFallsBackToAnOlderOne) {
  Cluster c("exactly-once");
  c.StartCoordinator();
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kFallbackRecords, 10'000);
  ASSERT_TRUE(
      PollUntil([&] { return c.CompletedCheckpoints() >= 2; }, Deadline::AfterMillis(30'000), 50))
      << "fewer than 2 checkpoints completed; see " << c.dir();

  c.Kill("worker-1");
  // Once the coordinator has dropped worker-1 it has aborted every pending checkpoint, and
  // none can complete before worker-1 is back (worker-2 alone lacks the slots to redeploy):
  // the newest completed checkpoint is now fixed.
  ASSERT_TRUE(PollUntil([&] { return !HasWorker(c.Status(), "worker-1"); },
                        Deadline::AfterMillis(10'000), 20))
      << "the coordinator never noticed that worker-1 died";
  std::vector<int64_t> completed = CompletedCheckpoints(c.JobPath("checkpoints"));
  ASSERT_GE(completed.size(), 2u) << "no older checkpoint to fall back to";
  const int64_t newest = completed.back();

  const std::string victim = JoinPath(c.JobPath("checkpoints"),
                                      "chk-" + std::to_string(newest) + "/source-0/offsets.json");
  auto data = ReadFileToString(victim);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_FALSE(data->empty());
  (*data)[data->size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomic(victim, *data).ok());

  c.StartWorker(1);
  ASSERT_NE(producer->WaitFor(60'000), -1);
  Output out = c.AwaitQuiescence(kFallbackRecords);

  std::vector<nlohmann::json> events = ParseEvents(c.Events("coordinator"));
  auto skipped = std::find_if(events.begin(), events.end(), [&](const nlohmann::json& e) {
    return e.value("event", "") == "checkpoint-skipped" &&
           e.value("checkpoint", int64_t{0}) == newest;
  });
  ASSERT_NE(skipped, events.end()) << "no checkpoint-skipped event for chk-" << newest;
  auto restore = std::find_if(skipped, events.end(), [](const nlohmann::json& e) {
    return e.value("event", "") == "restore";
  });
  ASSERT_NE(restore, events.end()) << "no restore after skipping chk-" << newest;
  EXPECT_LT((*restore)["checkpoint"].get<int64_t>(), newest);
  ExpectExactlyOnce(out, kFallbackRecords);
}

}  // namespace
}  // namespace faultline
