#include "harness/scenario.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/json.h"
#include "base/test_util.h"

namespace faultline::harness {
namespace {

using nlohmann::json;

std::pair<std::string, std::string> Disk(const json& params) {
  auto fp = DiskFailpoint(params, "$.nemesis[0].params", "s.json");
  EXPECT_TRUE(fp.ok()) << fp.status().ToString();
  return fp.ok() ? *fp : std::pair<std::string, std::string>{};
}

std::string DiskError(const json& params) {
  auto fp = DiskFailpoint(params, "$.nemesis[0].params", "s.json");
  EXPECT_FALSE(fp.ok()) << "accepted " << params.dump() << " as " << fp->second;
  return fp.ok() ? "" : fp.status().message();
}

TEST(DiskFailpoint, MapsParamsOntoTheStorageFailpoints) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Disk(json::object()), (P{"storage.write", "1*error(EIO)"}));
  EXPECT_EQ(Disk(json(nullptr)), (P{"storage.write", "1*error(EIO)"}));
  EXPECT_EQ(Disk({{"error", "ENOSPC"}, {"count", 3}}), (P{"storage.write", "3*error(ENOSPC)"}));
  EXPECT_EQ(Disk({{"op", "fsync"}, {"count", 0}}), (P{"storage.fsync", "error(EIO)"}));
  EXPECT_EQ(Disk({{"error", "torn"}}), (P{"storage.write", "1*torn"}));
  EXPECT_EQ(Disk({{"error", "28"}, {"probability", 50}}), (P{"storage.write", "50%1*error(28)"}));
}

TEST(DiskFailpoint, BadParamsNameTheirJsonPath) {
  EXPECT_NE(DiskError({{"op", "read"}}).find("$.nemesis[0].params.op"), std::string::npos);
  EXPECT_NE(DiskError({{"op", "fsync"}, {"error", "torn"}}).find("needs \"op\": \"write\""),
            std::string::npos);
  EXPECT_NE(DiskError({{"error", "ENOTANERRNO"}}).find("$.nemesis[0].params.error"),
            std::string::npos);
  EXPECT_NE(DiskError({{"count", -1}}).find("count"), std::string::npos);
  EXPECT_NE(DiskError({{"probability", 0}}).find("probability"), std::string::npos);
  EXPECT_NE(DiskError({{"errno", "EIO"}}).find("errno"), std::string::npos);
}

TEST(Scenario, ADiskFaultWithBadParamsFailsToParse) {
  auto s = ParseScenario(
      R"({"name": "d", "duration_s": 5, "mode": "exactly-once", "job": {"operator": "count"},
      "nemesis": [{"fault": "disk", "target": "worker-1", "at_s": 1,
                   "params": {"op": "fsync", "error": "torn"}}]})",
      "d.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("d.json: $.nemesis[0].params.error"), std::string::npos)
      << s.status().ToString();
}

// Every scenario shipped in scenarios/ parses, and every disk fault in them maps onto a
// failpoint the runtime knows.
TEST(Scenario, ShippedScenariosParse) {
  std::string dir = JoinPath(SourceDir(), "scenarios");
  auto names = ListDir(dir);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  int parsed = 0;
  for (const auto& n : *names) {
    if (n.size() < 5 || n.substr(n.size() - 5) != ".json") continue;
    auto json = ReadJsonFile(JoinPath(dir, n));
    ASSERT_TRUE(json.ok()) << n << ": " << json.status().ToString();
    if (json->is_object() && json->contains("scenarios")) continue;  // a suite, not a scenario
    auto s = LoadScenario(JoinPath(dir, n));
    EXPECT_TRUE(s.ok()) << n << ": " << s.status().ToString();
    ++parsed;
  }
  EXPECT_GE(parsed, 20);
}

}  // namespace
}  // namespace faultline::harness
