#include "runtime/checkpoint_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/json.h"

namespace faultline::runtime {
namespace {

constexpr char kMetadata[] = "_metadata";
constexpr char kShared[] = "shared";

std::optional<int64_t> ParseChkName(const std::string& name) {
  if (name.rfind("chk-", 0) != 0) return std::nullopt;
  int64_t id = 0;
  const char* b = name.data() + 4;
  const char* e = name.data() + name.size();
  auto [p, ec] = std::from_chars(b, e, id);
  if (ec != std::errc() || p != e || b == e) return std::nullopt;
  return id;
}

}  // namespace

const TaskSnapshot* CheckpointMetadata::Find(const std::string& task) const {
  for (const auto& t : tasks) {
    if (t.task == task) return &t;
  }
  return nullptr;
}

std::string CheckpointMetadata::ToJson() const {
  nlohmann::ordered_json tasks_json = nlohmann::ordered_json::array();
  for (const auto& t : tasks) {
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const auto& f : t.files) files.push_back(SnapshotFileJson<nlohmann::ordered_json>(f));
    tasks_json.push_back({{"task", t.task}, {"files", files}});
  }
  nlohmann::ordered_json j = {{"id", id},
                              {"attempt", attempt},
                              {"completed_wall_ms", completed_wall_ms},
                              {"mode", mode},
                              {"parallelism",
                               {{"source", source_parallelism},
                                {"operator", operator_parallelism},
                                {"sink", sink_parallelism},
                                {"max", max_parallelism}}},
                              {"tasks", tasks_json}};
  return j.dump(2) + "\n";
}

Result<CheckpointMetadata> CheckpointMetadata::Parse(std::string_view json,
                                                     const std::string& source) {
  ASSIGN_OR_RETURN(nlohmann::json root, ParseJson(json, source));
  CheckpointMetadata m;
  JsonObject o(root, "$", source);
  using Need = JsonObject::Need;
  RETURN_IF_ERROR(o.Int("id", &m.id, {.min = 1}, Need::kRequired));
  RETURN_IF_ERROR(o.Int("attempt", &m.attempt, {.min = 0}, Need::kRequired));
  RETURN_IF_ERROR(o.Int("completed_wall_ms", &m.completed_wall_ms));
  RETURN_IF_ERROR(o.String("mode", &m.mode, Need::kRequired));
  ASSIGN_OR_RETURN(auto par, o.Object("parallelism", Need::kRequired));
  RETURN_IF_ERROR(par->Int("source", &m.source_parallelism, {.min = 1}, Need::kRequired));
  RETURN_IF_ERROR(par->Int("operator", &m.operator_parallelism, {.min = 1}, Need::kRequired));
  RETURN_IF_ERROR(par->Int("sink", &m.sink_parallelism, {.min = 1}, Need::kRequired));
  RETURN_IF_ERROR(par->Int("max", &m.max_parallelism, {.min = 1}));
  RETURN_IF_ERROR(par->Finish());
  ASSIGN_OR_RETURN(auto tasks, o.Array("tasks", Need::kRequired));
  for (size_t i = 0; i < tasks->size(); ++i) {
    JsonObject t(*(*tasks)[i], o.PathOf("tasks") + "[" + std::to_string(i) + "]", source);
    TaskSnapshot ts;
    RETURN_IF_ERROR(t.String("task", &ts.task, Need::kRequired));
    ASSIGN_OR_RETURN(auto files, t.Array("files", Need::kRequired));
    for (size_t k = 0; k < files->size(); ++k) {
      JsonObject f(*(*files)[k], t.PathOf("files") + "[" + std::to_string(k) + "]", source);
      SnapshotFile sf;
      int64_t size = 0, crc = 0;
      RETURN_IF_ERROR(f.String("name", &sf.name, Need::kRequired));
      RETURN_IF_ERROR(f.Int("size", &size, {.min = 0}, Need::kRequired));
      RETURN_IF_ERROR(f.Int("crc32c", &crc, {.min = 0, .max = UINT32_MAX}, Need::kRequired));
      RETURN_IF_ERROR(f.String("shared", &sf.shared));
      RETURN_IF_ERROR(f.Finish());
      sf.size = static_cast<uint64_t>(size);
      sf.crc32c = static_cast<uint32_t>(crc);
      ts.files.push_back(std::move(sf));
    }
    RETURN_IF_ERROR(t.Finish());
    m.tasks.push_back(std::move(ts));
  }
  RETURN_IF_ERROR(o.Finish());
  return m;
}

std::string CheckpointStore::SharedDir() const { return JoinPath(root_, kShared); }

std::string CheckpointStore::Dir(int64_t id) const {
  return JoinPath(root_, "chk-" + std::to_string(id));
}

std::string CheckpointStore::TaskDir(int64_t id, const std::string& task) const {
  return JoinPath(Dir(id), task);
}

Status CheckpointStore::WriteMetadata(const CheckpointMetadata& meta) const {
  RETURN_IF_ERROR(CreateDirs(Dir(meta.id)));
  return WriteFileAtomic(JoinPath(Dir(meta.id), kMetadata), meta.ToJson());
}

Result<CheckpointMetadata> CheckpointStore::ReadMetadata(int64_t id) const {
  std::string path = JoinPath(Dir(id), kMetadata);
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return CheckpointMetadata::Parse(text, path);
}

Result<std::vector<int64_t>> CheckpointStore::ListCompleted() const {
  auto names = ListDir(root_);
  if (!names.ok()) {
    if (names.status().IsNotFound()) return std::vector<int64_t>();
    return names.status();
  }
  std::vector<int64_t> ids;
  for (const auto& name : *names) {
    auto id = ParseChkName(name);
    if (id && PathExists(JoinPath(JoinPath(root_, name), kMetadata))) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<int64_t> CheckpointStore::MaxId() const {
  auto names = ListDir(root_);
  if (!names.ok()) {
    if (names.status().IsNotFound()) return int64_t{0};
    return names.status();
  }
  int64_t max_id = 0;
  for (const auto& name : *names) {
    if (auto id = ParseChkName(name)) max_id = std::max(max_id, *id);
  }
  return max_id;
}

Status CheckpointStore::Verify(const CheckpointMetadata& meta) const {
  for (const auto& t : meta.tasks) {
    RETURN_IF_ERROR(VerifySnapshotFiles(TaskDir(meta.id, t.task), t.files, SharedDir()));
  }
  return Status::Ok();
}

bool IsUnreadableCheckpoint(const Status& why) {
  switch (why.code()) {
    case Status::Code::kIoError:
    case Status::Code::kTimeout:
    case Status::Code::kUnavailable:
      return false;
    default:
      return !why.ok();
  }
}

Result<RestoreChoice> CheckpointStore::SelectRestore(
    std::optional<int64_t> wanted, bool fall_back,
    const std::function<void(int64_t id, const Status& why)>& on_skip) const {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListCompleted());
  RestoreChoice choice;
  if (!ids.empty()) choice.newest = ids.back();
  auto read = [&](int64_t id) -> Result<CheckpointMetadata> {
    ASSIGN_OR_RETURN(CheckpointMetadata meta, ReadMetadata(id));
    RETURN_IF_ERROR(Verify(meta));
    return meta;
  };
  if (wanted) {
    ASSIGN_OR_RETURN(CheckpointMetadata meta, read(*wanted));
    choice.rollback = meta.id < choice.newest;
    choice.checkpoint = std::move(meta);
    return choice;
  }
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    Result<CheckpointMetadata> meta = read(*it);
    if (meta.ok()) {
      choice.checkpoint = std::move(*meta);
      return choice;
    }
    if (!IsUnreadableCheckpoint(meta.status())) return meta.status();
    if (!fall_back) {
      return meta.status().WithContext(
          "the newest completed checkpoint chk-" + std::to_string(*it) +
          " is unreadable, and its output may already be committed: restoring an older one "
          "would emit that output again, so the job halts (job.checkpoint.fallback_on_corrupt "
          "allows that fallback)");
    }
    on_skip(*it, meta.status());
  }
  return choice;
}

Status CheckpointStore::Remove(int64_t id) const {
  const std::string metadata = JoinPath(Dir(id), kMetadata);
  if (::unlink(metadata.c_str()) == 0) {
    RETURN_IF_ERROR(FsyncDir(Dir(id)));
  } else if (errno != ENOENT) {
    return Status::IoError("unlink " + metadata, errno);
  }
  return RemoveAll(Dir(id));
}

Result<PruneResult> CheckpointStore::Prune(int retained, bool collect_shared) const {
  PruneResult result;
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, ListCompleted());
  for (size_t i = 0; i + static_cast<size_t>(std::max(retained, 1)) < ids.size(); ++i) {
    RETURN_IF_ERROR(Remove(ids[i]));
    result.removed.push_back(ids[i]);
  }
  if (!collect_shared || !PathExists(SharedDir())) return result;
  ASSIGN_OR_RETURN(ids, ListCompleted());
  std::set<std::string> referenced;
  for (int64_t id : ids) {
    ASSIGN_OR_RETURN(CheckpointMetadata meta, ReadMetadata(id));
    for (const TaskSnapshot& t : meta.tasks) {
      for (const SnapshotFile& f : t.files) {
        if (!f.shared.empty()) referenced.insert(f.shared);
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(SharedDir()));
  Status status;
  for (const std::string& name : names) {
    if (referenced.count(name) > 0) continue;
    status = failpoint::Check("checkpoint.shared.delete");
    if (!status.ok()) break;
    const std::string path = JoinPath(SharedDir(), name);
    Result<uint64_t> size = FileSize(path);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) continue;
      status = Status::IoError("unlink " + path, errno);
      break;
    }
    ++result.shared_files_deleted;
    result.shared_bytes_deleted += size.ok() ? *size : 0;
  }
  if (result.shared_files_deleted > 0) RETURN_IF_ERROR(FsyncDir(SharedDir()));
  RETURN_IF_ERROR(status);
  return result;
}

}  // namespace faultline::runtime
