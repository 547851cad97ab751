#include "base/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/failpoint.h"
#include "base/test_util.h"

namespace faultline {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void TearDown() override { failpoint::DisarmAll(); }
  TempDir dir_;
};

TEST_F(FileTest, WriteFileAtomicReplacesContentAndLeavesNoTemp) {
  std::string path = dir_.File("meta");
  ASSERT_TRUE(WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two").ok());
  EXPECT_EQ(*ReadFileToString(path), "two");
  EXPECT_FALSE(PathExists(path + ".tmp"));
  EXPECT_EQ(*ListDir(dir_.path()), std::vector<std::string>{"meta"});
}

TEST_F(FileTest, InjectedFsyncFailureIsAnErrorAndLeavesTheOldContent) {
  std::string path = dir_.File("meta");
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  ASSERT_TRUE(failpoint::Arm("storage.fsync", "1*error(EIO)").ok());
  Status s = WriteFileAtomic(path, "new");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error_number(), EIO);
  EXPECT_NE(s.message().find("fsync"), std::string::npos) << s.ToString();
  EXPECT_EQ(*ReadFileToString(path), "old");  // the rename never happened
}

TEST_F(FileTest, InjectedWriteErrorSurfaces) {
  ASSERT_TRUE(failpoint::Arm("storage.write", "1*error(ENOSPC)").ok());
  Status s = WriteFileAtomic(dir_.File("x"), "data");
  EXPECT_EQ(s.error_number(), ENOSPC);
  EXPECT_FALSE(PathExists(dir_.File("x")));
}

TEST_F(FileTest, AppendFileTracksSyncedBytes) {
  auto f = AppendFile::Open(dir_.File("log"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->Append("hello").ok());
  EXPECT_EQ(f->size(), 5u);
  EXPECT_EQ(f->synced_size(), 0u);
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(f->synced_size(), 5u);
  ASSERT_TRUE(f->Append(" world").ok());
  EXPECT_EQ(f->synced_size(), 5u);
  ASSERT_TRUE(f->Close().ok());
  auto reopened = AppendFile::Open(dir_.File("log"));
  EXPECT_EQ(reopened->size(), 11u);
  EXPECT_EQ(reopened->synced_size(), 11u);
}

TEST_F(FileTest, FailedSyncPoisonsTheFile) {
  auto f = AppendFile::Open(dir_.File("log"));
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(failpoint::Arm("storage.fsync", "1*error(EIO)").ok());
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_EQ(f->synced_size(), 0u);
  // The failpoint is spent, but a retry must not claim the bytes are durable.
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_FALSE(f->Append("more").ok());
  EXPECT_EQ(f->synced_size(), 0u);
}

TEST_F(FileTest, TornWriteLeavesAPrefixAndKillsTheWriter) {
  std::string path = dir_.File("torn");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto f = AppendFile::Open(path);
    (void)failpoint::Arm("storage.write", "torn");
    (void)f->Append("0123456789");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(*ReadFileToString(path), "01234");
}

TEST_F(FileTest, ReadChunksHandsOverTheWholeFileInBoundedChunks) {
  std::string path = dir_.File("data");
  ASSERT_TRUE(WriteFileAtomic(path, "0123456789").ok());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<std::string> chunks;
  Status s = ReadChunks(fd, path, 4, [&](std::string_view chunk) {
    chunks.emplace_back(chunk);
    return Status::Ok();
  });
  ::close(fd);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(chunks, (std::vector<std::string>{"0123", "4567", "89"}));
}

TEST_F(FileTest, ReadChunksStopsAtTheConsumersError) {
  std::string path = dir_.File("data");
  ASSERT_TRUE(WriteFileAtomic(path, "0123456789").ok());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  int calls = 0;
  Status s = ReadChunks(fd, path, 4, [&](std::string_view) {
    ++calls;
    return Status::Corruption("bad chunk");
  });
  ::close(fd);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(calls, 1);
}

TEST_F(FileTest, ReadChunksReportsAReadError) {
  int fd = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // read(2): EISDIR
  ASSERT_GE(fd, 0);
  Status s = ReadChunks(fd, dir_.path(), 4, [](std::string_view) { return Status::Ok(); });
  ::close(fd);
  EXPECT_EQ(s.error_number(), EISDIR);
  EXPECT_NE(s.message().find(dir_.path()), std::string::npos) << s.ToString();
}

TEST_F(FileTest, CreateDirsAndListDir) {
  std::string deep = dir_.File("a/b/c");
  ASSERT_TRUE(CreateDirs(deep).ok());
  EXPECT_TRUE(PathExists(deep));
  ASSERT_TRUE(WriteFileAtomic(JoinPath(deep, "f"), "x").ok());
  EXPECT_EQ(*ListDir(deep), std::vector<std::string>{"f"});
  EXPECT_TRUE(ListDir(dir_.File("missing")).status().IsNotFound());
  ASSERT_TRUE(RemoveAll(dir_.File("a")).ok());
  EXPECT_FALSE(PathExists(deep));
}

}  // namespace
}  // namespace faultline
