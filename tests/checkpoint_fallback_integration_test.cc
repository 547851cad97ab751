// A corrupt checkpoint, end to end: an exactly-once job with a few completed checkpoints loses
// a worker to SIGKILL; while it is down a state file of the newest completed checkpoint gets a
// flipped byte. On the worker's return the coordinator must notice the CRC mismatch. Output of
// that checkpoint may be committed and committed output is final (docs/design.md), so by
// default the job halts; opted into the fallback, it restores from an older checkpoint, says
// so, and replays (duplicates) what came after.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
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

// The committed output files (committed/*), by name.
std::set<std::string> CommittedFiles(const std::string& output_dir) {
  auto names = ListDir(JoinPath(output_dir, "committed"));
  return names.ok() ? std::set<std::string>(names->begin(), names->end()) : std::set<std::string>();
}

const nlohmann::json* FindEvent(const std::vector<nlohmann::json>& events,
                                const std::string& name) {
  for (const nlohmann::json& e : events) {
    if (e.value("event", "") == name) return &e;
  }
  return nullptr;
}

// Runs an exactly-once job until it has two completed checkpoints, kills worker-1, flips a
// byte in the newest completed checkpoint and starts worker-1 again. Returns that checkpoint's
// id (0 after a failed assertion) and, in `committed_before`, the committed files as they were.
int64_t CorruptNewestWhileAWorkerIsDown(Cluster& c, std::set<std::string>* committed_before) {
  c.StartCoordinator();
  c.StartWorker(1);
  c.StartWorker(2);
  auto producer = c.Produce(kFallbackRecords, 10'000);
  EXPECT_TRUE(
      PollUntil([&] { return c.CompletedCheckpoints() >= 2; }, Deadline::AfterMillis(30'000), 50))
      << "fewer than 2 checkpoints completed; see " << c.dir();
  c.Kill("worker-1");
  // Once the coordinator has dropped worker-1 it has aborted every pending checkpoint, and
  // none can complete before worker-1 is back (worker-2 alone lacks the slots to redeploy):
  // the newest completed checkpoint is now fixed.
  EXPECT_TRUE(PollUntil([&] { return !HasWorker(c.Status(), "worker-1"); },
                        Deadline::AfterMillis(10'000), 20))
      << "the coordinator never noticed that worker-1 died";
  std::vector<int64_t> completed = CompletedCheckpoints(c.JobPath("checkpoints"));
  if (completed.size() < 2) {
    ADD_FAILURE() << "no older checkpoint to fall back to";
    return 0;
  }
  const int64_t newest = completed.back();
  const std::string victim = JoinPath(c.JobPath("checkpoints"),
                                      "chk-" + std::to_string(newest) + "/source-0/offsets.json");
  auto data = ReadFileToString(victim);
  if (!data.ok() || data->empty()) {
    ADD_FAILURE() << victim << ": " << data.status().ToString();
    return 0;
  }
  (*data)[data->size() / 2] ^= 0x01;
  EXPECT_TRUE(WriteFileAtomic(victim, *data).ok());
  *committed_before = CommittedFiles(c.JobPath("output"));
  c.StartWorker(1);
  EXPECT_NE(producer->WaitFor(60'000), -1);
  return newest;
}

// By default the job refuses to go back past output that may be committed: it halts, says
// why, and leaves the committed output as it was.
TEST(ExactlyOnce, CorruptNewestCheckpointHaltsTheJob) {
  Cluster c("exactly-once");
  std::set<std::string> committed_before;
  const int64_t newest = CorruptNewestWhileAWorkerIsDown(c, &committed_before);
  ASSERT_GT(newest, 0);
  nlohmann::json status;
  ASSERT_TRUE(PollUntil(
      [&] {
        status = c.Status();
        return status.value("state", "") == "failed";
      },
      Deadline::AfterMillis(30'000), 50))
      << "the job did not halt; last status " << status.dump() << "; see " << c.dir();
  const std::string failure = status.value("failure", "");
  EXPECT_NE(failure.find("chk-" + std::to_string(newest)), std::string::npos) << failure;
  EXPECT_NE(failure.find("fallback_on_corrupt"), std::string::npos) << failure;
  std::vector<nlohmann::json> events = ParseEvents(c.Events("coordinator"));
  EXPECT_NE(FindEvent(events, "job-failed"), nullptr);
  EXPECT_EQ(FindEvent(events, "restore-went-back"), nullptr);
  EXPECT_EQ(CommittedFiles(c.JobPath("output")), committed_before)
      << "committed output changed although the job halted";
}

// Opted into the fallback, the job restores from an older checkpoint, says so, keeps every
// committed file, and delivers every record at least once: what it replays is duplicated.
TEST(ExactlyOnce, CorruptNewestCheckpointFallsBackWhenAllowed) {
  Cluster c("exactly-once", {{"checkpoint", {{"fallback_on_corrupt", true}}}});
  std::set<std::string> committed_before;
  const int64_t newest = CorruptNewestWhileAWorkerIsDown(c, &committed_before);
  ASSERT_GT(newest, 0);
  Output out = c.AwaitQuiescence(kFallbackRecords);

  std::vector<nlohmann::json> events = ParseEvents(c.Events("coordinator"));
  auto skipped = std::find_if(events.begin(), events.end(), [&](const nlohmann::json& e) {
    return e.value("event", "") == "checkpoint-skipped" &&
           e.value("checkpoint", int64_t{0}) == newest;
  });
  ASSERT_NE(skipped, events.end()) << "no checkpoint-skipped event for chk-" << newest;
  auto back = std::find_if(skipped, events.end(), [](const nlohmann::json& e) {
    return e.value("event", "") == "restore-went-back";
  });
  ASSERT_NE(back, events.end()) << "no restore-went-back after skipping chk-" << newest;
  EXPECT_EQ((*back)["newest"].get<int64_t>(), newest);
  ASSERT_TRUE((*back)["checkpoint"].is_number_integer());
  EXPECT_LT((*back)["checkpoint"].get<int64_t>(), newest);
  EXPECT_FALSE((*back)["rollback"].get<bool>());

  std::set<std::string> committed_after = CommittedFiles(c.JobPath("output"));
  for (const std::string& name : committed_before) {
    EXPECT_EQ(committed_after.count(name), 1u) << "committed output " << name << " was deleted";
  }
  int lost = 0;
  for (int id = 0; id < kFallbackRecords; ++id) lost += out.copies.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 0) << "see " << c.dir();
}

}  // namespace
}  // namespace faultline
