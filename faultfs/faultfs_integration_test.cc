// faultline-faultfs mounted for real (FUSE, as root): a process group writes through the
// mount, some of it fsynced; lose-unsynced for that group takes back exactly the rest, and no
// kernel cache still shows it; SIGTERM unmounts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/file.h"
#include "base/record_log.h"
#include "base/test_util.h"
#include "faultfs/control.h"

namespace faultline::faultfs {
namespace {

bool Mounted(const std::string& mountpoint) {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    if (line.find(" " + mountpoint + " ") != std::string::npos) return true;
  }
  return false;
}

class Mount {
 public:
  Mount() {
    CreateDirs(dir_.File("backing"));
    CreateDirs(dir_.File("mnt"));
    daemon_ = std::make_unique<TestProcess>(
        std::vector<std::string>{BinPath("faultline-faultfs"), "--backing", dir_.File("backing"),
                                 "--mount", mnt(), "--control", socket(), "--seed", "3"},
        dir_.File("faultfs.log"));
    up_ = PollUntil(
        [&] {
          return Mounted(mnt()) &&
                 CallControl(socket(), {{"op", "status"}}, Deadline::AfterMillis(500)).ok();
        },
        Deadline::AfterMillis(10'000), 20);
  }
  ~Mount() {
    daemon_->Signal(SIGTERM);
    daemon_->WaitFor(5000);
    if (Mounted(mnt())) RunCommand("fusermount3 -u -z " + mnt());
  }
  bool up() const { return up_; }
  std::string mnt() const { return dir_.File("mnt"); }
  std::string socket() const { return dir_.File("control.sock"); }
  std::string log() const {
    auto t = ReadFileToString(dir_.File("faultfs.log"));
    return t.ok() ? *t : "";
  }
  TestProcess& daemon() { return *daemon_; }

 private:
  TempDir dir_;
  std::unique_ptr<TestProcess> daemon_;
  bool up_ = false;
};

// Skips (with the reason) where FUSE cannot mount: not root, or no /dev/fuse.
#define SKIP_WITHOUT_FUSE()                                        \
  if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0) \
  GTEST_SKIP() << "faultfs needs root and /dev/fuse (running as uid " << ::geteuid() << ")"

TEST(FaultFsMount, LoseUnsyncedTakesBackExactlyWhatTheGroupDidNotSync) {
  SKIP_WITHOUT_FUSE();
  Mount m;
  ASSERT_TRUE(m.up()) << m.log();
  // A writer in a process group of its own, as every node is.
  const std::string script =
      "import os\n"
      "m = '" +
      m.mnt() +
      "'\n"
      "fd = os.open(m + '/durable', os.O_CREAT | os.O_WRONLY, 0o644)\n"
      "os.write(fd, b'synced'); os.fsync(fd); os.close(fd)\n"
      "d = os.open(m, os.O_RDONLY); os.fsync(d); os.close(d)\n"
      "fd = os.open(m + '/durable', os.O_WRONLY | os.O_APPEND)\n"
      "os.write(fd, b'+volatile'); os.close(fd)\n"
      "open(m + '/fresh', 'w').write('never synced')\n"
      "print(os.getpgid(0), flush=True)\n";
  TempDir scratch;
  std::ofstream(scratch.File("writer.py")) << script;
  TestProcess writer({"/usr/bin/env", "python3", scratch.File("writer.py")},
                     scratch.File("writer.log"));
  ASSERT_EQ(writer.WaitFor(10'000), 0) << *ReadFileToString(scratch.File("writer.log"));
  int pgid = std::stoi(*ReadFileToString(scratch.File("writer.log")));
  EXPECT_EQ(*ReadFileToString(m.mnt() + "/durable"), "synced+volatile");

  auto status = CallControl(m.socket(), {{"op", "status"}}, Deadline::AfterMillis(2000));
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_TRUE((*status)["unsynced"].contains(std::to_string(pgid))) << status->dump();

  // Someone else's group: nothing of the writer's is lost.
  auto other = CallControl(m.socket(), {{"op", "lose-unsynced"}, {"pgids", {pgid + 100000}}},
                           Deadline::AfterMillis(2000));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)["writes_undone"], 0);

  auto lost = CallControl(m.socket(), {{"op", "lose-unsynced"}, {"pgids", {pgid}}},
                          Deadline::AfterMillis(2000));
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  EXPECT_EQ((*lost)["bytes_dropped"], 9 + 12);
  // Read through the mount: no page cache may still hold what was lost.
  EXPECT_EQ(*ReadFileToString(m.mnt() + "/durable"), "synced");
  EXPECT_FALSE(PathExists(m.mnt() + "/fresh"));
}

// A record log synced after its first append survives a power loss: the file's name is made
// durable when the log is created, not just its data.
TEST(FaultFsMount, ASyncedRecordLogSurvivesLosingWhatWasNotSynced) {
  SKIP_WITHOUT_FUSE();
  Mount m;
  ASSERT_TRUE(m.up()) << m.log();
  ASSERT_TRUE(CreateDirs(m.mnt() + "/logs").ok());
  const std::string path = m.mnt() + "/logs/sink-0.log";
  {
    auto writer = RecordLogWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE(writer->Append("kept").ok());
    ASSERT_TRUE(writer->Sync().ok());
    ASSERT_TRUE(writer->Append("volatile").ok());
    ASSERT_TRUE(writer->Flush().ok());
  }
  auto lost = CallControl(m.socket(), {{"op", "lose-unsynced"}, {"pgids", {::getpgid(0)}}},
                          Deadline::AfterMillis(2000));
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  auto scan = ReadLog(path);
  ASSERT_TRUE(scan.ok()) << "the synced log is gone: " << scan.status().ToString();
  ASSERT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->records[0].payload, "kept");
}

// With hard_remove, libfuse hands the operations on an open file that was unlinked (or
// renamed over) a null path. A power-loss run hit it: the daemon died on the null path and
// took the whole mount with it, mid-run.
TEST(FaultFsMount, AnUnlinkedOpenFileCanStillBeWrittenSyncedAndTruncated) {
  SKIP_WITHOUT_FUSE();
  Mount m;
  ASSERT_TRUE(m.up()) << m.log();
  const std::string path = m.mnt() + "/doomed";
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(::write(fd, "before", 6), 6);
  ASSERT_EQ(::unlink(path.c_str()), 0) << std::strerror(errno);
  EXPECT_EQ(::write(fd, "+after", 6), 6) << std::strerror(errno);
  EXPECT_EQ(::fsync(fd), 0) << std::strerror(errno);
  EXPECT_EQ(::ftruncate(fd, 3), 0) << std::strerror(errno);
  // (fstat fails with ESTALE: the kernel asks by inode, without the handle, and libfuse's
  // path-based API has no name left for it. That is libfuse's, and the daemon stays up.)
  char buf[8] = {};
  EXPECT_EQ(::pread(fd, buf, sizeof(buf), 0), 3);
  EXPECT_EQ(std::string(buf), "bef");
  ::close(fd);
  EXPECT_TRUE(CallControl(m.socket(), {{"op", "status"}}, Deadline::AfterMillis(2000)).ok())
      << "the daemon is gone: " << m.log();
  auto lost = CallControl(m.socket(), {{"op", "lose-unsynced"}, {"pgids", {::getpgid(0)}}},
                          Deadline::AfterMillis(2000));
  EXPECT_TRUE(lost.ok()) << lost.status().ToString() << "\n" << m.log();
}

TEST(FaultFsMount, InjectedErrorsReachTheCaller) {
  SKIP_WITHOUT_FUSE();
  Mount m;
  ASSERT_TRUE(m.up()) << m.log();
  ASSERT_TRUE(CallControl(m.socket(),
                          {{"op", "error"},
                           {"pattern", "/full*"},
                           {"ops", {"write"}},
                           {"errno", "ENOSPC"},
                           {"count", 1}},
                          Deadline::AfterMillis(2000))
                  .ok());
  CommandResult r = RunCommand("(echo data > " + m.mnt() + "/full.txt) 2>&1");
  EXPECT_NE(r.exit_code, 0) << "the write must fail";
  EXPECT_EQ(*ReadFileToString(m.mnt() + "/full.txt"), "");
  r = RunCommand("echo data > " + m.mnt() + "/full.txt");
  EXPECT_EQ(r.exit_code, 0) << "the rule was good for one call: " << r.out;
}

TEST(FaultFsMount, BadInputIsRefusedNamingWhatIsWrong) {
  SKIP_WITHOUT_FUSE();
  TempDir dir;
  CreateDirs(dir.File("backing"));
  CreateDirs(dir.File("mnt"));
  ASSERT_TRUE(WriteFileAtomic(dir.File("mnt/precious"), "x").ok());
  CommandResult r =
      RunCommand(BinPath("faultline-faultfs") + " --backing " + dir.File("backing") + " --mount " +
                 dir.File("mnt") + " --control " + dir.File("c.sock") + " 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(dir.File("mnt") + ": the mount point is not empty"), std::string::npos)
      << r.out;
  EXPECT_FALSE(Mounted(dir.File("mnt")));

  Mount m;
  ASSERT_TRUE(m.up()) << m.log();
  auto bad = CallControl(m.socket(), {{"op", "format-disk"}}, Deadline::AfterMillis(2000));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown op 'format-disk'"), std::string::npos)
      << bad.status().ToString();
  bad = CallControl(m.socket(), {{"op", "error"}, {"errno", "EWHAT"}}, Deadline::AfterMillis(2000));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown name 'EWHAT'"), std::string::npos);
  bad = CallControl(m.socket(), {{"op", "error"}, {"ops", {"write"}}, {"errno", "lie"}},
                    Deadline::AfterMillis(2000));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("needs \"ops\": [\"fsync\"]"), std::string::npos);
}

TEST(FaultFsMount, ADaemonThatDiesTakesItsMountWithIt) {
  SKIP_WITHOUT_FUSE();
  Mount m;
  ASSERT_TRUE(m.up()) << m.log();
  m.daemon().Signal(SIGKILL);
  m.daemon().WaitFor(5000);
  EXPECT_TRUE(PollUntil([&] { return !Mounted(m.mnt()); }, Deadline::AfterMillis(5000), 20))
      << "auto_unmount should have unmounted " << m.mnt();
}

TEST(FaultFsMount, SigtermUnmounts) {
  SKIP_WITHOUT_FUSE();
  auto m = std::make_unique<Mount>();
  ASSERT_TRUE(m->up()) << m->log();
  std::string mnt = m->mnt();
  m->daemon().Signal(SIGTERM);
  EXPECT_NE(m->daemon().WaitFor(5000), -1);
  EXPECT_FALSE(Mounted(mnt));
}

}  // namespace
}  // namespace faultline::faultfs
