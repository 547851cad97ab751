// The `memory` state backend: a hash map per key group; a snapshot is one CRC-framed record
// log (state.log) whose first record is a header and whose other records are the entries,
// sorted by key group and key.

#include <algorithm>
#include <map>
#include <unordered_map>

#include "base/coding.h"
#include "base/file.h"
#include "base/record_log.h"
#include "runtime/state_backend_internal.h"

namespace faultline::runtime::internal {
namespace {

constexpr char kStateFile[] = "state.log";
// Header payload: magic, then varint number of entries (so that a log cut at a frame
// boundary is caught as well as a torn frame).
constexpr std::string_view kMagic = "FLMS";

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using Group = std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>;

// Promised: exact contents, ForEach in key-group order. Thread-compatible.
class MemoryStateBackend final : public KeyedStateBackend {
 public:
  explicit MemoryStateBackend(KeyGroupRange range) : range_(range) {}

  Result<std::optional<std::string>> Get(int key_group, std::string_view key) override {
    RETURN_IF_ERROR(CheckKeyGroup(range_, key_group));
    auto g = groups_.find(key_group);
    if (g == groups_.end()) return std::optional<std::string>();
    auto it = g->second.find(key);
    if (it == g->second.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status Put(int key_group, std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(CheckKeyGroup(range_, key_group));
    Insert(key_group, key, value);
    return Status::Ok();
  }

  Status Delete(int key_group, std::string_view key) override {
    RETURN_IF_ERROR(CheckKeyGroup(range_, key_group));
    auto g = groups_.find(key_group);
    if (g == groups_.end()) return Status::Ok();
    auto it = g->second.find(key);
    if (it == g->second.end()) return Status::Ok();
    g->second.erase(it);
    --entries_;
    if (g->second.empty()) groups_.erase(g);
    return Status::Ok();
  }

  Status ForEach(
      const std::function<bool(int, std::string_view, std::string_view)>& visit) override {
    for (const auto& [key_group, group] : groups_) {
      for (const auto& [key, value] : group) {
        if (!visit(key_group, key, value)) return Status::Ok();
      }
    }
    return Status::Ok();
  }

  uint64_t ApproximateEntries() const override { return entries_; }

  // Always a full snapshot: one file, written anew (target.shared_dir is not used).
  Result<std::vector<SnapshotFile>> Snapshot(const SnapshotTarget& target) override {
    const std::string& dir = target.dir;
    RETURN_IF_ERROR(CreateSnapshotDir(dir));
    const std::string path = JoinPath(dir, kStateFile);
    ASSIGN_OR_RETURN(RecordLogWriter writer, RecordLogWriter::Open(path));
    std::string payload(kMagic);
    PutVarint64(&payload, entries_);
    RETURN_IF_ERROR(writer.Append(payload).status());
    std::vector<const std::pair<const std::string, std::string>*> sorted;
    for (const auto& [key_group, group] : groups_) {
      sorted.clear();
      for (const auto& entry : group) sorted.push_back(&entry);
      std::sort(sorted.begin(), sorted.end(),
                [](const auto* a, const auto* b) { return a->first < b->first; });
      for (const auto* entry : sorted) {
        payload.clear();
        PutVarint64(&payload, static_cast<uint64_t>(key_group));
        PutLengthPrefixed(&payload, entry->first);
        payload.append(entry->second);
        RETURN_IF_ERROR(writer.Append(payload).status());
      }
    }
    RETURN_IF_ERROR(writer.Close());  // flush + fsync
    RETURN_IF_ERROR(FsyncDir(dir));
    ASSIGN_OR_RETURN(SnapshotFile file, DescribeFile(dir, kStateFile));
    return std::vector<SnapshotFile>{std::move(file)};
  }

  // Loads the entries of the snapshot in `dir` that fall inside range_.
  Status Load(const std::string& dir) {
    const std::string path = JoinPath(dir, kStateFile);
    Result<LogScan> scan = ReadLog(path);
    if (!scan.ok())
      return Status::Corruption("state snapshot " + path + ": " + scan.status().ToString());
    if (scan->damage) {
      return Status::Corruption("state snapshot " + path + " at offset " +
                                std::to_string(scan->damage->offset) + ": " + scan->damage->reason);
    }
    auto bad = [&](uint64_t offset, std::string_view what) {
      return Status::Corruption("state snapshot " + path + " at offset " + std::to_string(offset) +
                                ": " + std::string(what));
    };
    const std::vector<LogRecord>& records = scan->records;
    if (records.empty()) return bad(0, "no header");
    if (!records[0].payload.starts_with(kMagic)) return bad(0, "bad magic");
    Decoder header(std::string_view(records[0].payload).substr(kMagic.size()));
    const uint64_t count = header.Varint64();
    if (!header.ok() || !header.done()) return bad(0, "bad header");
    if (count != records.size() - 1) {
      return bad(scan->valid_end, "header promises " + std::to_string(count) + " entries, " +
                                      std::to_string(records.size() - 1) + " present");
    }
    for (size_t i = 1; i < records.size(); ++i) {
      const std::string_view payload = records[i].payload;
      Decoder d(payload);
      const uint64_t key_group = d.Varint64();
      const std::string_view key = d.LengthPrefixed();
      if (!d.ok() || key_group > kMaxKeyGroup) return bad(records[i].offset, "malformed entry");
      if (range_.Contains(static_cast<int>(key_group))) {
        Insert(static_cast<int>(key_group), key, payload.substr(payload.size() - d.remaining()));
      }
    }
    return Status::Ok();
  }

 private:
  void Insert(int key_group, std::string_view key, std::string_view value) {
    Group& group = groups_[key_group];
    auto it = group.find(key);
    if (it == group.end()) {
      group.emplace(std::string(key), std::string(value));
      ++entries_;
    } else {
      it->second.assign(value);
    }
  }

  KeyGroupRange range_;
  std::map<int, Group> groups_;  // ordered by key group; never holds an empty group
  uint64_t entries_ = 0;
};

}  // namespace

Result<std::unique_ptr<KeyedStateBackend>> OpenMemoryStateBackend(
    const std::string& /*work_dir*/, KeyGroupRange range,
    const std::vector<SnapshotSource>& restore) {
  auto backend = std::make_unique<MemoryStateBackend>(range);
  for (const SnapshotSource& source : restore) RETURN_IF_ERROR(backend->Load(source.dir));
  return std::unique_ptr<KeyedStateBackend>(std::move(backend));
}

}  // namespace faultline::runtime::internal
