#include "runtime/state_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "base/file.h"
#include "base/test_util.h"
#include "runtime/state_backend_test_util.h"

namespace faultline::runtime {
namespace {

using Entries = StateEntries;

Entries Dump(KeyedStateBackend& backend) {
  Result<Entries> entries = DumpState(backend);
  EXPECT_TRUE(entries.ok()) << entries.status().ToString();
  return entries.ok() ? *entries : Entries{};
}

void FlipByte(const std::string& path, uint64_t at) {
  std::string data = *ReadFileToString(path);
  data[at] = static_cast<char>(data[at] ^ 0x5a);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class StateBackendTest : public ::testing::TestWithParam<StateBackendKind> {
 protected:
  std::unique_ptr<KeyedStateBackend> Open(const std::string& work, KeyGroupRange range,
                                          const std::vector<std::string>& restore = {}) {
    auto backend = OpenStateBackend(GetParam(), dir_.File(work), range, WholeDirectories(restore));
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    return backend.ok() ? std::move(backend).value() : nullptr;
  }
  TempDir dir_;
};

TEST_P(StateBackendTest, PutGetDeleteForEach) {
  auto b = Open("w", {0, 9});
  ASSERT_TRUE(b->Put(3, "k", "v1").ok());
  ASSERT_TRUE(b->Put(3, "k", "v2").ok());
  ASSERT_TRUE(b->Put(0, "a", std::string("x\0y", 3)).ok());
  ASSERT_TRUE(b->Put(9, "", "").ok());
  EXPECT_EQ(**b->Get(3, "k"), "v2");
  EXPECT_EQ(**b->Get(0, "a"), std::string("x\0y", 3));
  EXPECT_FALSE(b->Get(4, "k")->has_value()) << "same key, other group";
  ASSERT_TRUE(b->Delete(3, "k").ok());
  ASSERT_TRUE(b->Delete(3, "never").ok());
  EXPECT_FALSE(b->Get(3, "k")->has_value());
  EXPECT_EQ(Dump(*b), (Entries{{{0, "a"}, std::string("x\0y", 3)}, {{9, ""}, ""}}));
  int visits = 0;
  ASSERT_TRUE(b->ForEach([&](int, std::string_view, std::string_view) {
                 ++visits;
                 return false;
               }).ok());
  EXPECT_EQ(visits, 1);
}

TEST_P(StateBackendTest, RejectsKeyGroupsOutsideItsRange) {
  auto b = Open("w", {4, 7});
  EXPECT_EQ(b->Put(3, "k", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(b->Put(8, "k", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(b->Get(8, "k").status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(b->Put(7, "k", "v").ok());
}

TEST_P(StateBackendTest, SnapshotIsDurableAndVerifiable) {
  auto b = Open("w", {0, 127});
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(b->Put(i % 128, "key" + std::to_string(i), "v").ok());
  const std::string snap = dir_.File("chk-1/task-0");
  auto files = b->Snapshot(snap);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_FALSE(files->empty());
  EXPECT_TRUE(VerifySnapshotFiles(snap, *files).ok());
  for (const SnapshotFile& f : *files) {
    auto again = DescribeFile(snap, f.name);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->size, f.size);
    EXPECT_EQ(again->crc32c, f.crc32c);
  }
  // Writing on after the snapshot changes nothing in it (RocksDB: SSTs are hard links).
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(b->Put(i % 128, "key" + std::to_string(i), "w").ok());
  ASSERT_TRUE(b->Snapshot(dir_.File("chk-2/task-0")).ok());
  EXPECT_TRUE(VerifySnapshotFiles(snap, *files).ok());
  EXPECT_EQ(b->Snapshot(snap).status().code(), Status::Code::kAlreadyExists);

  auto restored = Open("w2", {0, 127}, {snap});
  Entries entries = Dump(*restored);
  ASSERT_EQ(entries.size(), 200u);
  for (const auto& [k, v] : entries) EXPECT_EQ(v, "v");
}

TEST_P(StateBackendTest, AFlippedByteIsCaught) {
  auto b = Open("w", {0, 127});
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(b->Put(i % 128, "key" + std::to_string(i), std::string(50, 'v')).ok());
  }
  const std::string snap = dir_.File("snap");
  auto files = b->Snapshot(snap);
  ASSERT_TRUE(files.ok());
  // The file that holds the entries: state.log, or the SST.
  auto it = std::find_if(files->begin(), files->end(), [](const SnapshotFile& f) {
    return f.name == "state.log" || f.name.ends_with(".sst");
  });
  ASSERT_NE(it, files->end());
  const SnapshotFile& data = *it;
  FlipByte(snap + "/" + data.name, data.size / 2);
  Status verify = VerifySnapshotFiles(snap, *files);
  EXPECT_TRUE(verify.IsCorruption()) << verify.ToString();
  EXPECT_NE(verify.message().find(data.name), std::string::npos) << verify.ToString();
  auto restored = OpenStateBackend(GetParam(), dir_.File("w2"), {0, 127}, WholeDirectories({snap}));
  ASSERT_FALSE(restored.ok());
  EXPECT_TRUE(restored.status().IsCorruption()) << restored.status().ToString();
}

TEST_P(StateBackendTest, MissingSnapshotIsCorruption) {
  auto restored =
      OpenStateBackend(GetParam(), dir_.File("w"), {0, 127}, WholeDirectories({dir_.File("nope")}));
  ASSERT_FALSE(restored.ok());
  EXPECT_TRUE(restored.status().IsCorruption()) << restored.status().ToString();
}

TEST_P(StateBackendTest, WorkDirIsWipedAtOpen) {
  ASSERT_TRUE(CreateDirs(dir_.File("w")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.File("w/leftover"), "x").ok());
  auto b = Open("w", {0, 127});
  EXPECT_FALSE(PathExists(dir_.File("w/leftover")));
}

INSTANTIATE_TEST_SUITE_P(Kinds, StateBackendTest,
                         ::testing::Values(StateBackendKind::kMemory, StateBackendKind::kRocksDb),
                         [](const auto& info) {
                           return info.param == StateBackendKind::kMemory ? "Memory" : "RocksDb";
                         });

TEST(SnapshotFilesTest, VerifyNamesTheBadFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("a"), "hello").ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("b"), "world").ok());
  auto a = DescribeFile(dir.path(), "a");
  auto b = DescribeFile(dir.path(), "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size, 5u);
  EXPECT_TRUE(VerifySnapshotFiles(dir.path(), {*a, *b}).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("b"), "worle").ok());
  Status s = VerifySnapshotFiles(dir.path(), {*a, *b});
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("/b"), std::string::npos) << s.ToString();
  ASSERT_TRUE(WriteFileAtomic(dir.File("b"), "worlds").ok());
  EXPECT_TRUE(VerifySnapshotFiles(dir.path(), {*b}).IsCorruption());
  EXPECT_TRUE(VerifySnapshotFiles(dir.path(), {{"c", 0, 0}}).IsCorruption());
  EXPECT_TRUE(VerifySnapshotFiles(dir.path(), {{"../a", 5, a->crc32c}}).IsCorruption());
  EXPECT_TRUE(DescribeFile(dir.path(), "c").status().IsNotFound());
}

}  // namespace
}  // namespace faultline::runtime
