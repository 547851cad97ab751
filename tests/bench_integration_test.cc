// `faultline bench --tiny` runs every macro benchmark end to end (real clusters, kills, a
// checker child, an empty scenario) and writes bench.json with every key docs/benchmarks.md
// promises. The sizes are tiny: this keeps the command working, it measures nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "base/test_util.h"

namespace {

using faultline::BinPath;
using faultline::ReadFileToString;
using faultline::RunCommand;
using faultline::TempDir;

TEST(Bench, TinyRunWritesEveryKey) {
  TempDir dir;
  const std::string out = dir.File("bench.json");
  auto r = RunCommand(BinPath("faultline") + " bench --tiny --seed 3 --out " + out +
                      " --work-dir " + dir.File("work") + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("seed 3"), std::string::npos) << r.out;
  auto text = ReadFileToString(out);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << *text;
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump();
  for (const char* mode : {"at_most_once", "at_least_once", "exactly_once", "loopback_reference"}) {
    ASSERT_TRUE(j["throughput"].contains(mode)) << mode;
    EXPECT_GT(j["throughput"][mode].get<double>(), 0) << mode;
  }
  for (const char* backend : {"memory", "rocksdb"}) {
    ASSERT_TRUE(j["checkpoint"][backend].is_array()) << backend;
    ASSERT_FALSE(j["checkpoint"][backend].empty()) << backend;
    EXPECT_GT(j["checkpoint"][backend][0]["bytes"].get<double>(), 0) << backend;
  }
  EXPECT_GE(j["recovery"]["detection_ms"].get<double>(), 0);
  EXPECT_GT(j["recovery"]["kill_to_output_ms"].get<double>(),
            j["recovery"]["detection_ms"].get<double>());
  EXPECT_GT(j["checker"]["events_per_s"].get<double>(), 0);
  EXPECT_GT(j["checker"]["peak_rss_mb"].get<double>(), 0);
  EXPECT_GT(j["harness"]["overhead_ms"].get<double>(), 0);
  EXPECT_EQ(j["shrink"]["original_faults"], 11) << j["shrink"].dump();
  EXPECT_LE(j["shrink"]["tries"].get<double>(), 2) << j["shrink"].dump();
  EXPECT_FALSE(j["targets"].empty());
}

TEST(Bench, RejectsUnknownBenchmark) {
  auto r = RunCommand(BinPath("faultline") + " bench --only nothing 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("nothing"), std::string::npos) << r.out;
}

}  // namespace
