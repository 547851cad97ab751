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
