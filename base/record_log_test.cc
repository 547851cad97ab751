#include "base/record_log.h"

#include <gtest/gtest.h>

#include "base/failpoint.h"
#include "base/test_util.h"

namespace faultline {
namespace {

std::vector<std::string> Payloads(const std::vector<LogRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.payload);
  return out;
}

TEST(RecordLog, WriteThenReadBack) {
  TempDir dir;
  auto w = RecordLogWriter::Open(dir.File("log"));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w->Append("a"), 0u);
  EXPECT_EQ(*w->Append(""), 9u);
  EXPECT_EQ(*w->Append("ccc"), 17u);
  EXPECT_EQ(w->synced_offset(), 0u);
  ASSERT_TRUE(w->Sync().ok());
  EXPECT_EQ(w->synced_offset(), 28u);
  auto scan = ReadLog(dir.File("log"));
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(Payloads(scan->records), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(scan->records[2].offset, 17u);
  EXPECT_FALSE(scan->damage.has_value());
  EXPECT_EQ(scan->valid_end, 28u);
}

TEST(RecordLog, SyncPolicyBatchesFsyncs) {
  TempDir dir;
  auto w = RecordLogWriter::Open(dir.File("log"), SyncPolicy{.every_records = 3});
  ASSERT_TRUE(w->Append("1").ok());
  ASSERT_TRUE(w->Append("2").ok());
  EXPECT_EQ(w->synced_offset(), 0u);
  ASSERT_TRUE(w->Append("3").ok());
  EXPECT_EQ(w->synced_offset(), w->offset());
}

TEST(RecordLog, ReopeningCutsATornTailSoNewRecordsAreReadable) {
  TempDir dir;
  std::string path = dir.File("log");
  {
    auto w = RecordLogWriter::Open(path);
    ASSERT_TRUE(w->Append("keep").ok());
    ASSERT_TRUE(w->Close().ok());
  }
  {  // half a frame, as a crash during a write leaves it
    auto f = AppendFile::Open(path);
    ASSERT_TRUE(f->Append(std::string("\x10\x00\x00\x00\x01", 5)).ok());
    ASSERT_TRUE(f->Close().ok());
  }
  auto w = RecordLogWriter::Open(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->recovered_damage().has_value());
  EXPECT_TRUE(w->recovered_damage()->torn_tail);
  EXPECT_EQ(w->recovered_damage()->offset, 12u);
  ASSERT_TRUE(w->Append("after").ok());
  ASSERT_TRUE(w->Sync().ok());
  auto scan = ReadLog(path);
  EXPECT_EQ(Payloads(scan->records), (std::vector<std::string>{"keep", "after"}));
  EXPECT_FALSE(scan->damage.has_value());
}

TEST(RecordLog, SyncFailureIsReportedAndNotCountedDurable) {
  TempDir dir;
  auto w = RecordLogWriter::Open(dir.File("log"));
  ASSERT_TRUE(w->Append("x").ok());
  ASSERT_TRUE(failpoint::Arm("storage.fsync", "1*error(EIO)").ok());
  EXPECT_FALSE(w->Sync().ok());
  EXPECT_EQ(w->synced_offset(), 0u);
  failpoint::DisarmAll();
}

TEST(LogTailer, FollowsAGrowingFileAndWaitsOutPartialFrames) {
  TempDir dir;
  std::string path = dir.File("log");
  LogTailer tailer(path);
  std::vector<LogRecord> got;
  ASSERT_TRUE(tailer.Poll(&got).ok());  // no file yet: empty, no error
  EXPECT_TRUE(got.empty());

  auto w = RecordLogWriter::Open(path);
  ASSERT_TRUE(w->Append("one").ok());
  ASSERT_TRUE(w->Flush().ok());
  ASSERT_TRUE(tailer.Poll(&got).ok());
  EXPECT_EQ(Payloads(got), std::vector<std::string>{"one"});

  // Write half of the next frame by hand: the tailer must not return it, nor call it damage
  // while the file keeps growing.
  std::string frame;
  AppendLogFrame(&frame, "two");
  {
    auto f = AppendFile::Open(path);
    ASSERT_TRUE(f->Append(frame.substr(0, 5)).ok());
    ASSERT_TRUE(tailer.Poll(&got).ok());
    EXPECT_EQ(got.size(), 1u);
    ASSERT_TRUE(f->Append(frame.substr(5)).ok());
  }
  ASSERT_TRUE(tailer.Poll(&got).ok());
  EXPECT_EQ(Payloads(got), (std::vector<std::string>{"one", "two"}));
  EXPECT_FALSE(tailer.damage().has_value());
}

TEST(LogTailer, ReportsACorruptFrameOnceTheFileStopsGrowing) {
  TempDir dir;
  std::string path = dir.File("log");
  std::string data;
  AppendLogFrame(&data, "good");
  AppendLogFrame(&data, "bad!");
  data[data.size() - 1] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  LogTailer tailer(path, 0, /*settle_polls=*/2);
  std::vector<LogRecord> got;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tailer.Poll(&got).ok());
  EXPECT_EQ(Payloads(got), std::vector<std::string>{"good"});
  ASSERT_TRUE(tailer.damage().has_value());
  EXPECT_EQ(tailer.damage()->offset, 12u);
  EXPECT_FALSE(tailer.damage()->torn_tail);
}

TEST(LogTailer, ReadsRecordsLargerThanItsChunk) {
  TempDir dir;
  std::string path = dir.File("log");
  std::string big(3 << 20, 'z');
  auto w = RecordLogWriter::Open(path);
  ASSERT_TRUE(w->Append("small").ok());
  ASSERT_TRUE(w->Append(big).ok());
  ASSERT_TRUE(w->Append("tail").ok());
  ASSERT_TRUE(w->Sync().ok());
  LogTailer tailer(path);
  std::vector<LogRecord> got;
  ASSERT_TRUE(tailer.Poll(&got).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].payload, big);
  EXPECT_EQ(got[2].payload, "tail");
  EXPECT_FALSE(tailer.damage().has_value());
}

}  // namespace
}  // namespace faultline
