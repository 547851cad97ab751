// The two executables answer --help, --version and reject unknown commands, as a user sees.
#include <gtest/gtest.h>

#include <string>

#include "base/test_util.h"

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
