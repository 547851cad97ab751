// The `rocksdb` state backend: one RocksDB instance per subtask in WORK/db, every key prefixed
// by its 2-byte big-endian key group, so that a key-group range is a key range. Snapshots are
// RocksDB checkpoints (SST files hard-linked, the rest copied); incremental ones publish each
// SST to the shared directory once and refer to it from then on. The working DB is scratch (a
// backend always starts from a snapshot), so writes skip the WAL and the checkpoint's forced
// memtable flush is the durability point.

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <system_error>

#include "base/failpoint.h"
#include "base/file.h"
#include "runtime/state_backend_internal.h"

namespace faultline::runtime::internal {
namespace {

// Above every encoded key: groups stop at kMaxKeyGroup (0xfffe).
constexpr std::string_view kEndOfKeys = "\xff\xff";
constexpr size_t kRestoreBatchBytes = 1 << 20;

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsNotFound()) return Status::NotFound(std::move(msg));
  if (s.IsIOError()) return Status::IoError(std::move(msg), EIO);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(msg));
  return Status::Internal(std::move(msg));
}

std::string GroupPrefix(int key_group) {
  return {static_cast<char>((key_group >> 8) & 0xff), static_cast<char>(key_group & 0xff)};
}

void EncodeKey(int key_group, std::string_view key, std::string* out) {
  out->assign(GroupPrefix(key_group));
  out->append(key);
}

// First key of `range` and the first key after it. An empty range is [kEndOfKeys, kEndOfKeys).
std::pair<std::string, std::string> RangeBounds(KeyGroupRange range) {
  if (range.empty()) return {std::string(kEndOfKeys), std::string(kEndOfKeys)};
  return {GroupPrefix(range.first), GroupPrefix(range.last + 1)};
}

rocksdb::Options DbOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.avoid_flush_during_shutdown = true;  // the working DB is scratch
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 2;
  options.max_background_jobs = 2;
  return options;
}

// SST and blob files never change once written: snapshots share them.
bool IsImmutable(std::string_view name) {
  return name.ends_with(".sst") || name.ends_with(".blob");
}

// Makes `to` a file with the bytes of `from`: a hard link for an immutable file where the
// filesystem allows (EXDEV, EPERM: a copy), a copy otherwise. An existing `to` is an error.
Status LinkOrCopy(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (IsImmutable(from)) {
    std::filesystem::create_hard_link(from, to, ec);
    if (!ec) return Status::Ok();
    if (ec.value() == EEXIST) return Status::AlreadyExists(to);
    ec.clear();
  }
  std::filesystem::copy_file(from, to, ec);
  if (ec) return Status::IoError("copy " + from + " -> " + to, ec.value());
  return Status::Ok();
}

// Makes `dst` an openable copy of the snapshot `src`: immutable files hard-linked, everything
// else (MANIFEST, CURRENT, OPTIONS, WAL) copied, so that the working DB never writes to a file
// of a checkpoint.
Status LinkOrCopyCheckpoint(const SnapshotSource& src, const std::string& dst) {
  RETURN_IF_ERROR(CreateDirs(dst));
  if (src.files.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(src.dir));
    for (const std::string& name : names) {
      RETURN_IF_ERROR(LinkOrCopy(JoinPath(src.dir, name), JoinPath(dst, name)));
    }
    return Status::Ok();
  }
  for (const SnapshotFile& f : src.files) {
    RETURN_IF_ERROR(
        LinkOrCopy(SnapshotFilePath(src.dir, src.shared_dir, f), JoinPath(dst, f.name)));
  }
  return Status::Ok();
}

// Puts the immutable file `from` into the shared directory as `to`, durably: a hard link, or
// a copy to a temporary name, fsynced and renamed, so that a shared file is always whole. A
// `to` that exists already is the same file (its name is unique to it): written before by
// this backend, in a checkpoint that never completed.
Status PublishShared(const std::string& from, const std::string& to) {
  Status s = LinkOrCopy(from, to + ".tmp");
  if (s.code() == Status::Code::kAlreadyExists) {  // left by an interrupted publish
    RETURN_IF_ERROR(RemoveAll(to + ".tmp"));
    s = LinkOrCopy(from, to + ".tmp");
  }
  RETURN_IF_ERROR(s);
  return RenameDurable(to + ".tmp", to);
}

// Promised: every entry is under its key group's prefix; ForEach in key-group order.
// Thread-compatible (RocksDB itself is thread-safe; the task thread is the only user).
class RocksDbStateBackend final : public KeyedStateBackend {
 public:
  RocksDbStateBackend(std::unique_ptr<rocksdb::DB> db, std::string work_dir, KeyGroupRange range)
      : db_(std::move(db)), work_dir_(std::move(work_dir)), range_(range) {
    write_options_.disableWAL = true;
  }

  // The shared files of the snapshot the DB was opened on: the next incremental snapshot
  // refers to them rather than writing them again.
  void AdoptSharedFiles(const std::vector<SnapshotFile>& files) {
    for (const SnapshotFile& f : files) {
      if (!f.shared.empty()) shared_[f.name] = f;
    }
  }
  ~RocksDbStateBackend() override { (void)db_->Close(); }

  Result<std::optional<std::string>> Get(int key_group, std::string_view key) override {
    RETURN_IF_ERROR(CheckKeyGroup(range_, key_group));
    EncodeKey(key_group, key, &key_buf_);
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key_buf_, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    RETURN_IF_ERROR(FromRocks(s, "rocksdb get"));
    return std::optional<std::string>(std::move(value));
  }

  Status Put(int key_group, std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(CheckKeyGroup(range_, key_group));
    EncodeKey(key_group, key, &key_buf_);
    return FromRocks(db_->Put(write_options_, key_buf_, rocksdb::Slice(value.data(), value.size())),
                     "rocksdb put");
  }

  Status Delete(int key_group, std::string_view key) override {
    RETURN_IF_ERROR(CheckKeyGroup(range_, key_group));
    EncodeKey(key_group, key, &key_buf_);
    return FromRocks(db_->Delete(write_options_, key_buf_), "rocksdb delete");
  }

  Status ForEach(
      const std::function<bool(int, std::string_view, std::string_view)>& visit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() < 2) return Status::Corruption("rocksdb state: key without a key group");
      int key_group = (static_cast<uint8_t>(k[0]) << 8) | static_cast<uint8_t>(k[1]);
      std::string_view user_key(k.data() + 2, k.size() - 2);
      rocksdb::Slice v = it->value();
      if (!visit(key_group, user_key, std::string_view(v.data(), v.size()))) break;
    }
    return FromRocks(it->status(), "rocksdb scan");
  }

  uint64_t ApproximateEntries() const override {
    uint64_t n = 0;
    db_->GetIntProperty("rocksdb.estimate-num-keys", &n);
    return n;
  }

  Result<std::vector<SnapshotFile>> Snapshot(const SnapshotTarget& target) override {
    const std::string& dir = target.dir;
    if (PathExists(dir)) return Status::AlreadyExists("snapshot directory " + dir);
    std::error_code ec;
    const std::string abs_dir = std::filesystem::absolute(dir, ec).lexically_normal().string();
    if (ec) return Status::IoError("absolute path of " + dir, ec.value());
    const std::string parent = DirName(abs_dir);
    RETURN_IF_ERROR(CreateDirs(parent));
    if (target.shared_dir.empty()) {
      RETURN_IF_ERROR(CreateCheckpoint(abs_dir));
      ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(abs_dir));
      std::vector<SnapshotFile> files;
      for (const std::string& name : names) {
        ASSIGN_OR_RETURN(SnapshotFile file, DescribeAndSyncFile(abs_dir, name));
        files.push_back(std::move(file));
      }
      RETURN_IF_ERROR(FsyncDir(abs_dir));
      RETURN_IF_ERROR(FsyncDir(parent));
      return files;
    }
    ASSIGN_OR_RETURN(std::vector<SnapshotFile> files, SnapshotIncremental(target, abs_dir));
    RETURN_IF_ERROR(FsyncDir(parent));
    return files;
  }

  // A RocksDB checkpoint in a scratch directory of the working DB (hard links, cheap), then:
  // every immutable file this backend has not published yet goes to the shared directory,
  // each one it has is referred to, and the rest (MANIFEST, CURRENT, OPTIONS) is copied into
  // `abs_dir`. Afterwards shared_ holds exactly this snapshot's shared files: a file a later
  // snapshot no longer has was compacted away and never comes back.
  Result<std::vector<SnapshotFile>> SnapshotIncremental(const SnapshotTarget& target,
                                                        const std::string& abs_dir) {
    const std::string scratch = JoinPath(work_dir_, "snapshot-scratch");
    RETURN_IF_ERROR(RemoveAll(scratch));
    RETURN_IF_ERROR(CreateCheckpoint(scratch));
    RETURN_IF_ERROR(CreateDirs(abs_dir));
    RETURN_IF_ERROR(CreateDirs(target.shared_dir));
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(scratch));
    std::vector<SnapshotFile> files;
    std::map<std::string, SnapshotFile> now_shared;
    bool published = false;
    for (const std::string& name : names) {
      const std::string from = JoinPath(scratch, name);
      if (!IsImmutable(name)) {
        RETURN_IF_ERROR(LinkOrCopy(from, JoinPath(abs_dir, name)));
        ASSIGN_OR_RETURN(SnapshotFile file, DescribeAndSyncFile(abs_dir, name));
        files.push_back(std::move(file));
        continue;
      }
      auto known = shared_.find(name);
      if (known == shared_.end()) {
        RETURN_IF_ERROR(failpoint::Check("checkpoint.shared.upload"));
        const std::string shared_name = target.shared_prefix + name;
        RETURN_IF_ERROR(PublishShared(from, JoinPath(target.shared_dir, shared_name)));
        ASSIGN_OR_RETURN(SnapshotFile file, DescribeAndSyncFile(target.shared_dir, shared_name));
        file.shared = shared_name;
        file.name = name;
        known = shared_.emplace(name, std::move(file)).first;
        published = true;
      }
      now_shared.insert(*known);
      files.push_back(known->second);
    }
    RETURN_IF_ERROR(FsyncDir(abs_dir));
    if (published) RETURN_IF_ERROR(FsyncDir(target.shared_dir));
    shared_ = std::move(now_shared);
    RETURN_IF_ERROR(RemoveAll(scratch));
    return files;
  }

  // Restore, when the DB was opened on a snapshot copy: drops every entry outside range_
  // (range tombstones; compaction reclaims the space).
  Status DeleteOutside() {
    rocksdb::WriteBatch batch;
    if (range_.empty()) {
      RETURN_IF_ERROR(FromRocks(batch.DeleteRange("", kEndOfKeys), "rocksdb delete range"));
    } else {
      auto [first, end] = RangeBounds(range_);
      if (range_.first > 0) {
        RETURN_IF_ERROR(FromRocks(batch.DeleteRange("", first), "rocksdb delete range"));
      }
      if (end < kEndOfKeys) {
        RETURN_IF_ERROR(FromRocks(batch.DeleteRange(end, kEndOfKeys), "rocksdb delete range"));
      }
    }
    return FromRocks(db_->Write(write_options_, &batch), "rocksdb delete range");
  }

  // Restore from further snapshots: copies the entries of `from` that fall inside range_.
  Status CopyInRange(rocksdb::DB* from) {
    auto [first, end] = RangeBounds(range_);
    std::unique_ptr<rocksdb::Iterator> it(from->NewIterator(rocksdb::ReadOptions()));
    rocksdb::WriteBatch batch;
    for (it->Seek(first); it->Valid() && it->key().compare(end) < 0; it->Next()) {
      RETURN_IF_ERROR(FromRocks(batch.Put(it->key(), it->value()), "rocksdb batch"));
      if (batch.GetDataSize() >= kRestoreBatchBytes) {
        RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch), "rocksdb restore write"));
        batch.Clear();
      }
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "rocksdb restore scan"));
    return FromRocks(db_->Write(write_options_, &batch), "rocksdb restore write");
  }

 private:
  // A RocksDB checkpoint of the DB into `abs_dir`, which must not exist.
  Status CreateCheckpoint(const std::string& abs_dir) {
    rocksdb::Checkpoint* raw = nullptr;
    RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "rocksdb checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // log_size_for_flush = 0: always flush the memtable first (writes skip the WAL).
    return FromRocks(checkpoint->CreateCheckpoint(abs_dir, /*log_size_for_flush=*/0),
                     "rocksdb checkpoint into " + abs_dir);
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::string work_dir_;
  KeyGroupRange range_;
  std::map<std::string, SnapshotFile> shared_;  // local name -> published shared file
  rocksdb::WriteOptions write_options_;
  std::string key_buf_;
};

Result<std::unique_ptr<rocksdb::DB>> OpenDb(const std::string& path, bool read_only) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(DbOptions(), path, &raw)
                                : rocksdb::DB::Open(DbOptions(), path, &raw);
  RETURN_IF_ERROR(FromRocks(s, "open rocksdb " + path));
  return std::unique_ptr<rocksdb::DB>(raw);
}

// Any failure to read a snapshot is reported as corruption of that snapshot.
Status AsSnapshotCorruption(const Status& s, const std::string& dir) {
  if (s.ok() || s.IsCorruption()) return s.WithContext("rocksdb snapshot " + dir);
  return Status::Corruption("rocksdb snapshot " + dir + ": " + s.ToString());
}

// Opens a private copy of the snapshot `src` at `dst` and verifies every block checksum.
Result<std::unique_ptr<rocksdb::DB>> OpenCheckpointCopy(const SnapshotSource& src,
                                                        const std::string& dst, bool read_only) {
  Status s = LinkOrCopyCheckpoint(src, dst);
  if (!s.ok()) return AsSnapshotCorruption(s, src.dir);
  Result<std::unique_ptr<rocksdb::DB>> db = OpenDb(dst, read_only);
  if (!db.ok()) return AsSnapshotCorruption(db.status(), src.dir);
  s = FromRocks((*db)->VerifyChecksum(), "verify checksums");
  if (!s.ok()) return AsSnapshotCorruption(s, src.dir);
  return db;
}

}  // namespace

Result<std::unique_ptr<KeyedStateBackend>> OpenRocksDbStateBackend(
    const std::string& work_dir, KeyGroupRange range, const std::vector<SnapshotSource>& restore) {
  const std::string db_dir = JoinPath(work_dir, "db");
  std::unique_ptr<rocksdb::DB> db;
  if (restore.empty()) {
    ASSIGN_OR_RETURN(db, OpenDb(db_dir, /*read_only=*/false));
  } else {
    ASSIGN_OR_RETURN(db, OpenCheckpointCopy(restore[0], db_dir, /*read_only=*/false));
  }
  auto backend = std::make_unique<RocksDbStateBackend>(std::move(db), work_dir, range);
  if (!restore.empty()) {
    RETURN_IF_ERROR(backend->DeleteOutside());
    backend->AdoptSharedFiles(restore[0].files);
  }
  for (size_t i = 1; i < restore.size(); ++i) {
    const std::string copy_dir = JoinPath(work_dir, "restore-" + std::to_string(i));
    ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> other,
                     OpenCheckpointCopy(restore[i], copy_dir, /*read_only=*/true));
    Status s = backend->CopyInRange(other.get());
    (void)other->Close();
    other.reset();
    if (!s.ok()) return AsSnapshotCorruption(s, restore[i].dir);
    RETURN_IF_ERROR(RemoveAll(copy_dir));
  }
  return std::unique_ptr<KeyedStateBackend>(std::move(backend));
}

}  // namespace faultline::runtime::internal
