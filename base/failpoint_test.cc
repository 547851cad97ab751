#include "base/failpoint.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "base/clock.h"
#include "base/file.h"

namespace faultline::failpoint {
namespace {

class FailpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSite("test.site", "a site for tests");
    DisarmAll();
  }
  void TearDown() override { DisarmAll(); }
};

TEST_F(FailpointTest, UnarmedSiteDoesNothing) { EXPECT_FALSE(Eval("test.site").fired()); }

TEST_F(FailpointTest, ErrorWithCountFiresExactlyThatOften) {
  ASSERT_TRUE(Arm("test.site", "2*error(ENOSPC)").ok());
  Status first = Check("test.site");
  EXPECT_EQ(first.error_number(), ENOSPC);
  EXPECT_FALSE(Check("test.site").ok());
  EXPECT_TRUE(Check("test.site").ok());
  EXPECT_TRUE(Check("test.site").ok());
}

TEST_F(FailpointTest, ChainedTermsFireInTurn) {
  ASSERT_TRUE(Arm("test.site", "2*off->1*error(EIO)->1*error(ENOSPC)").ok());
  EXPECT_TRUE(Check("test.site").ok());
  EXPECT_TRUE(Check("test.site").ok());
  EXPECT_EQ(Check("test.site").error_number(), EIO);
  EXPECT_EQ(Check("test.site").error_number(), ENOSPC);
  EXPECT_TRUE(Check("test.site").ok());  // every count spent
  ASSERT_TRUE(Arm("test.site", "1*off->error(5)").ok());
  EXPECT_TRUE(Check("test.site").ok());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Check("test.site").ok());
}

TEST_F(FailpointTest, ProbabilityZeroNeverFiresAndHundredAlwaysFires) {
  ASSERT_TRUE(Arm("test.site", "0%error(5)").ok());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Check("test.site").ok());
  ASSERT_TRUE(Arm("test.site", "100%error(5)").ok());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(Check("test.site").ok());
}

TEST_F(FailpointTest, BadSpecsAndUnknownSitesAreRejectedByName) {
  Status unknown = Arm("no.such.site", "crash");
  EXPECT_NE(unknown.message().find("no.such.site"), std::string::npos);
  for (const char* spec :
       {"explode", "sleep", "sleep(x)", "error(EWHAT)", "150%crash", "x*crash", "crash(3)",
        "error(5", "1*off->", "->crash", "crash->->crash", "off->1*crash"}) {
    Status s = Arm("test.site", spec);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << spec;
    EXPECT_NE(s.message().find(spec), std::string::npos) << s.message();
  }
  EXPECT_FALSE(ArmList("test.site").ok());
  EXPECT_TRUE(ArmList("test.site=off;;test.site=1*sleep(1)").ok());
}

TEST_F(FailpointTest, PauseBlocksUntilDisarmed) {
  ASSERT_TRUE(Arm("test.site", "pause").ok());
  std::atomic<bool> passed{false};
  std::thread t([&] {
    Eval("test.site");
    passed = true;
  });
  // The thread must still be parked after it had ample time to get there.
  SleepMillis(50);
  EXPECT_FALSE(passed.load());
  Disarm("test.site");
  ASSERT_TRUE(PollUntil([&] { return passed.load(); }, Deadline::AfterMillis(10'000)));
  t.join();
}

TEST_F(FailpointTest, CrashKillsTheProcessWithSigkill) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    (void)Arm("test.site", "crash");
    Eval("test.site");
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(FailpointTest, ALyingFsyncReportsSuccessWithoutSyncing) {
  ASSERT_TRUE(ValidateSpec("lie").ok());
  EXPECT_FALSE(ValidateSpec("lie(3)").ok()) << "lie takes no argument";
  // fsync of a bad descriptor fails, unless the fsync never happens.
  EXPECT_FALSE(::faultline::Fsync(-1, "/nowhere").ok());
  ASSERT_TRUE(Arm("storage.fsync", "1*lie").ok());
  EXPECT_TRUE(::faultline::Fsync(-1, "/nowhere").ok());
  EXPECT_FALSE(::faultline::Fsync(-1, "/nowhere").ok()) << "one lie, then honest again";
}

TEST_F(FailpointTest, StorageSitesAreAlwaysListed) {
  bool fsync = false, write = false;
  for (const Site& s : Sites()) {
    fsync |= s.name == "storage.fsync";
    write |= s.name == "storage.write";
    EXPECT_FALSE(s.description.empty()) << s.name;
  }
  EXPECT_TRUE(fsync && write);
}

}  // namespace
}  // namespace faultline::failpoint
