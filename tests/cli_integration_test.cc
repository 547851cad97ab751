// The two executables answer --help, --version and reject unknown commands, as a user sees.
#include <gtest/gtest.h>

#include <string>

#include "base/test_util.h"
#include "tests/scenario_runner.h"

namespace {

using faultline::BinPath;
using faultline::RunCommand;

TEST(Cli, BothExecutablesAnswerHelpAndVersion) {
  for (const char* exe : {"faultline", "faultline-node"}) {
    auto help = RunCommand(BinPath(exe) + " --help");
    EXPECT_EQ(help.exit_code, 0) << help.out;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << help.out;
    auto version = RunCommand(BinPath(exe) + " --version");
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out.rfind(std::string(exe) + " ", 0), 0u) << version.out;
    auto bad = RunCommand(BinPath(exe) + " no-such-command");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.out.find("no-such-command"), std::string::npos);
  }
}

TEST(Cli, NodeListsFailpointSites) {
  auto r = RunCommand(BinPath("faultline-node") + " failpoints");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* site : {"storage.fsync", "storage.write", "sink.commit.before_rename",
                           "coordinator.checkpoint.after_metadata_before_notify"}) {
    EXPECT_NE(r.out.find(site), std::string::npos) << site;
  }
}

}  // namespace

TEST(Cli, ShrinkRefusesWhatItCannotShrinkWithExitTwo) {
  faultline::TempDir dir;
  for (const std::string& args :
       {dir.File("no-run"), dir.path() + " --budget 0", dir.path() + " --tries 0", std::string()}) {
    auto r = RunCommand(BinPath("faultline") + " shrink " + args + " 2>&1");
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find("faultline shrink: "), std::string::npos) << r.out;
  }
  auto missing = RunCommand(BinPath("faultline") + " shrink " + dir.File("no-run") + " 2>&1");
  EXPECT_NE(missing.out.find("no such run directory"), std::string::npos) << missing.out;
  auto help = RunCommand(BinPath("faultline") + " shrink --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--budget RUNS"), std::string::npos) << help.out;
}

TEST(Cli, CoordinatorRefusesAParallelismOutsideItsKeyGroups) {
  faultline::TempDir dir;
  auto config = RunCommand(BinPath("faultline-node") + " example-config --dir " + dir.path() +
                           " > " + dir.File("job.json"));
  ASSERT_EQ(config.exit_code, 0) << config.out;
  for (const char* flag :
       {"--operator-parallelism 0", "--sink-parallelism 129", "--operator-parallelism x"}) {
    auto r = RunCommand(BinPath("faultline-node") + " coordinator --config " +
                        dir.File("job.json") + " " + flag + " 2>&1");
    EXPECT_EQ(r.exit_code, 2) << flag << ": " << r.out;
    EXPECT_NE(r.out.find(std::string(flag).substr(2, 10)), std::string::npos) << r.out;
  }
}

// A rescale the run cannot carry out is refused before any node starts, naming the fault.
TEST(Cli, RunRefusesARescaleItCannotCarryOut) {
  faultline::ScenarioRunner runner;
  const nlohmann::json base = {
      {"name", "bad-rescale"},
      {"mode", "exactly-once"},
      {"duration_s", 2},
      {"cluster", {{"workers", 2}, {"slots", 4}}},
      {"job", {{"parallelism", {{"source", 2}, {"operator", 2}, {"sink", 2}}}}}};
  struct Case {
    nlohmann::json fault;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {{{"fault", "rescale"}, {"target", "worker-1"}, {"at_s", 1}}, "coordinator"},
           {{{"fault", "rescale"},
             {"target", "coordinator"},
             {"at_s", 1},
             {"params", {{"operator", 4}, {"sink", 3}}}},
            "slots"},
           {{{"fault", "rescale"},
             {"target", "coordinator"},
             {"at_s", 1},
             {"params", {{"operators", 2}}}},
            "operators"}}) {
    nlohmann::json scenario = base;
    scenario["nemesis"] = nlohmann::json::array({c.fault});
    faultline::ScenarioRun r = runner.Run(scenario, "2>&1");
    EXPECT_EQ(r.exit_code, 2) << c.fault.dump() << ": " << r.out;
    EXPECT_NE(r.out.find("$.nemesis[0]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << r.out;
  }
}
