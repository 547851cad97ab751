#include "runtime/checkpoint_store.h"

#include <gtest/gtest.h>

#include <functional>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline::runtime {
namespace {

// Writes a completed checkpoint `id` with one task holding one state file.
void WriteCheckpoint(const CheckpointStore& store, int64_t id) {
  const std::string dir = store.TaskDir(id, "source-0");
  ASSERT_TRUE(CreateDirs(dir).ok());
  ASSERT_TRUE(
      WriteFileAtomic(JoinPath(dir, "offsets.json"), "{\"chk\":" + std::to_string(id) + "}").ok());
  auto file = DescribeFile(dir, "offsets.json");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  CheckpointMetadata meta;
  meta.id = id;
  meta.mode = "exactly-once";
  meta.source_parallelism = meta.operator_parallelism = meta.sink_parallelism = 1;
  meta.tasks = {{"source-0", {*file}}};
  ASSERT_TRUE(store.WriteMetadata(meta).ok());
}

void Corrupt(const CheckpointStore& store, int64_t id) {
  const std::string path = JoinPath(store.TaskDir(id, "source-0"), "offsets.json");
  auto data = ReadFileToString(path);
  ASSERT_TRUE(data.ok());
  (*data)[1] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomic(path, *data).ok());
}

struct Skips {
  std::vector<int64_t> ids;
  std::function<void(int64_t, const Status&)> Fn() {
    return [this](int64_t id, const Status&) { ids.push_back(id); };
  }
};

TEST(CheckpointStoreTest, RestoresTheNewestCompletedCheckpoint) {
  TempDir dir;
  CheckpointStore store(dir.path());
  Skips skips;
  auto none = store.SelectRestore(std::nullopt, false, skips.Fn());
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->checkpoint.has_value());
  EXPECT_FALSE(none->GoesBack());

  for (int64_t id : {1, 2, 3}) WriteCheckpoint(store, id);
  ASSERT_TRUE(CreateDirs(store.Dir(4)).ok());  // in flight: no _metadata, not a checkpoint
  auto newest = store.SelectRestore(std::nullopt, false, skips.Fn());
  ASSERT_TRUE(newest.ok()) << newest.status().ToString();
  ASSERT_TRUE(newest->checkpoint.has_value());
  EXPECT_EQ(newest->checkpoint->id, 3);
  EXPECT_EQ(newest->newest, 3);
  EXPECT_FALSE(newest->GoesBack());
  EXPECT_TRUE(skips.ids.empty());
}

// Output of the newest completed checkpoint may be committed: going back past it would emit
// that output twice, so an unreadable newest checkpoint is an error unless falling back is
// allowed, and then the choice says it went back.
TEST(CheckpointStoreTest, AnUnreadableNewestCheckpointHaltsUnlessFallingBackIsAllowed) {
  TempDir dir;
  CheckpointStore store(dir.path());
  for (int64_t id : {1, 2, 3}) WriteCheckpoint(store, id);
  Corrupt(store, 3);
  Skips skips;
  auto refused = store.SelectRestore(std::nullopt, false, skips.Fn());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsUnreadableCheckpoint(refused.status())) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("chk-3"), std::string::npos);
  EXPECT_NE(refused.status().message().find("CRC32C"), std::string::npos);
  EXPECT_TRUE(skips.ids.empty());

  auto fallback = store.SelectRestore(std::nullopt, true, skips.Fn());
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  ASSERT_TRUE(fallback->checkpoint.has_value());
  EXPECT_EQ(fallback->checkpoint->id, 2);
  EXPECT_EQ(fallback->newest, 3);
  EXPECT_TRUE(fallback->GoesBack());
  EXPECT_FALSE(fallback->rollback);
  EXPECT_EQ(skips.ids, (std::vector<int64_t>{3}));

  Corrupt(store, 2);
  Corrupt(store, 1);
  skips.ids.clear();
  auto scratch = store.SelectRestore(std::nullopt, true, skips.Fn());
  ASSERT_TRUE(scratch.ok());
  EXPECT_FALSE(scratch->checkpoint.has_value());
  EXPECT_TRUE(scratch->GoesBack());
  EXPECT_EQ(skips.ids, (std::vector<int64_t>{3, 2, 1}));
}

TEST(CheckpointStoreTest, AnExplicitOlderCheckpointIsARollback) {
  TempDir dir;
  CheckpointStore store(dir.path());
  for (int64_t id : {1, 2}) WriteCheckpoint(store, id);
  Skips skips;
  auto rollback = store.SelectRestore(1, false, skips.Fn());
  ASSERT_TRUE(rollback.ok()) << rollback.status().ToString();
  EXPECT_EQ(rollback->checkpoint->id, 1);
  EXPECT_TRUE(rollback->rollback);
  EXPECT_TRUE(rollback->GoesBack());
  auto same = store.SelectRestore(2, false, skips.Fn());
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->rollback);
  EXPECT_FALSE(same->GoesBack());
  EXPECT_FALSE(store.SelectRestore(7, true, skips.Fn()).ok()) << "no such checkpoint";
}

TEST(CheckpointStoreTest, OnlyLastingFailuresMakeACheckpointUnreadable) {
  EXPECT_TRUE(IsUnreadableCheckpoint(Status::Corruption("CRC32C mismatch")));
  EXPECT_TRUE(IsUnreadableCheckpoint(Status::InvalidArgument("bad _metadata")));
  EXPECT_FALSE(IsUnreadableCheckpoint(Status::IoError("read", EIO)));
  EXPECT_FALSE(IsUnreadableCheckpoint(Status::Timeout("slow disk")));
  EXPECT_FALSE(IsUnreadableCheckpoint(Status::Ok()));
}

}  // namespace
}  // namespace faultline::runtime
