// The source task: reads its input partitions from the input log, routes records to operator
// subtasks by key group, injects checkpoint barriers when the coordinator triggers them, and
// emits watermarks.
#include <map>
#include <nlohmann/json.hpp>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/record_log.h"
#include "runtime/input_log.h"
#include "runtime/key_groups.h"
#include "runtime/task_io.h"
#include "runtime/tasks.h"

namespace faultline::runtime {
namespace {

constexpr char kOffsetsFile[] = "offsets.json";

struct PartitionState {
  int partition = 0;
  uint64_t offset = 0;  // next frame to read
  int64_t max_event_time = INT64_MIN;
  int64_t marker_watermark = INT64_MIN;  // from watermark markers in the log
  std::unique_ptr<LogTailer> tailer;

  int64_t Watermark(int64_t out_of_orderness) const {
    int64_t from_data = max_event_time == INT64_MIN ? INT64_MIN : max_event_time - out_of_orderness;
    return std::max(from_data, marker_watermark);
  }
  nlohmann::json ToJson() const {
    return {{"partition", partition},
            {"offset", offset},
            {"max_event_time", max_event_time},
            {"marker_watermark", marker_watermark}};
  }
};

Status ApplyPartitionJson(const nlohmann::json& j, const std::string& source,
                          std::map<int, PartitionState>* parts) {
  JsonObject o(j, "$", source);
  int partition = -1;
  int64_t offset = 0, max_et = INT64_MIN, marker = INT64_MIN;
  RETURN_IF_ERROR(o.Int("partition", &partition, {.min = 0}, JsonObject::Need::kRequired));
  RETURN_IF_ERROR(o.Int("offset", &offset, {.min = 0}, JsonObject::Need::kRequired));
  RETURN_IF_ERROR(o.Int("max_event_time", &max_et));
  RETURN_IF_ERROR(o.Int("marker_watermark", &marker));
  auto it = parts->find(partition);
  if (it == parts->end()) return Status::Ok();  // another subtask's partition
  // Offsets only move forward: at-most-once committed offsets may be ahead of the checkpoint.
  if (static_cast<uint64_t>(offset) >= it->second.offset) {
    it->second.offset = static_cast<uint64_t>(offset);
    it->second.max_event_time = std::max(it->second.max_event_time, max_et);
    it->second.marker_watermark = std::max(it->second.marker_watermark, marker);
  }
  return Status::Ok();
}

class SourceTask : public TaskBase {
 public:
  SourceTask(TaskId id, TaskEnv env) : TaskBase(id, std::move(env)) {}

  Status Run() override {
    RETURN_IF_ERROR(Restore());
    std::vector<TaskId> targets;
    for (int i = 0; i < job().operator_parallelism; ++i)
      targets.push_back({TaskKind::kOperator, i});
    RETURN_IF_ERROR(ConnectOutputs(targets));
    batches_.Bind(&outputs_, env_.cancel, static_cast<size_t>(job().batch_size));
    ReportRunning();
    int64_t last_flush_ms = MonotonicMillis();
    while (!cancelled()) {
      RETURN_IF_ERROR(DrainMailbox());
      ASSIGN_OR_RETURN(size_t read, ReadBatch());
      if (MonotonicMillis() - last_flush_ms >= job().flush_interval_ms) {
        RETURN_IF_ERROR(batches_.FlushAll());
        last_flush_ms = MonotonicMillis();
      }
      if (read == 0) WaitFd(env_.mailbox->fd(), false, 2);
    }
    return Status::Aborted("cancelled");
  }

 private:
  Status Restore() {
    for (int p = id_.index; p < job().partitions; p += job().source_parallelism) {
      PartitionState st;
      st.partition = p;
      parts_[p] = std::move(st);
    }
    if (deployment().restore) {
      const CheckpointMetadata& meta = *deployment().restore;
      for (const TaskSnapshot& t : meta.tasks) {
        if (t.task.rfind("source-", 0) != 0) continue;
        std::string path = JoinPath(store_.TaskDir(meta.id, t.task), kOffsetsFile);
        ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(path));
        if (!j.contains("partitions") || !j["partitions"].is_array()) {
          return Status::Corruption(path + ": $.partitions: expected an array");
        }
        for (const auto& pj : j["partitions"])
          RETURN_IF_ERROR(ApplyPartitionJson(pj, path, &parts_));
      }
    }
    if (job().mode == Mode::kAtMostOnce) {
      // Offsets committed as read: nothing read before a crash is read again.
      for (auto& [p, st] : parts_) {
        std::string path = CommittedOffsetPath(p);
        if (!PathExists(path)) continue;
        ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(path));
        RETURN_IF_ERROR(ApplyPartitionJson(j, path, &parts_));
      }
    }
    for (auto& [p, st] : parts_) {
      st.tailer =
          std::make_unique<LogTailer>(InputPartitionPath(env_.config->input_dir, p), st.offset);
    }
    return Status::Ok();
  }

  std::string CommittedOffsetPath(int partition) const {
    return JoinPath(env_.config->offsets_dir, "partition-" + std::to_string(partition) + ".json");
  }

  // At-most-once commits its offsets durably before emitting what it read; reading several
  // batches per commit divides the fsyncs by as much. A crash loses at most that many batches,
  // which at-most-once allows. The other modes read one batch at a time.
  size_t ReadAhead() const { return job().mode == Mode::kAtMostOnce ? 16 : 1; }

  Result<size_t> ReadBatch() {
    RETURN_IF_ERROR(failpoint::Check("source.read"));
    size_t total = 0;
    int64_t before = CurrentWatermark();
    for (auto& [p, st] : parts_) {
      std::vector<LogRecord> records;
      RETURN_IF_ERROR(
          st.tailer->Poll(&records, static_cast<size_t>(job().batch_size) * ReadAhead()));
      if (st.tailer->damage()) {
        return Status::Corruption("input partition " + std::to_string(p) + " at offset " +
                                  std::to_string(st.tailer->damage()->offset) + ": " +
                                  st.tailer->damage()->reason);
      }
      if (records.empty()) continue;
      st.offset = st.tailer->offset();
      if (job().mode == Mode::kAtMostOnce) {
        // Commit before emitting: a crash after this point loses these records.
        RETURN_IF_ERROR(CreateDirs(env_.config->offsets_dir));
        RETURN_IF_ERROR(WriteFileAtomic(CommittedOffsetPath(p), st.ToJson().dump()));
      }
      for (const LogRecord& lr : records) {
        auto rec = DecodeInputRecord(lr.payload);
        if (!rec.ok()) {
          return rec.status().WithContext("input partition " + std::to_string(p) + " offset " +
                                          std::to_string(lr.offset));
        }
        if (rec->kind == InputRecord::Kind::kWatermark) {
          st.marker_watermark = std::max(st.marker_watermark, rec->event_time);
          continue;
        }
        st.max_event_time = std::max(st.max_event_time, rec->event_time);
        int kg = KeyGroupOf(rec->key, job().max_parallelism);
        int target = SubtaskForKeyGroup(job().max_parallelism, job().operator_parallelism, kg);
        RETURN_IF_ERROR(batches_.Add(static_cast<size_t>(target), std::move(*rec)));
      }
      total += records.size();
    }
    int64_t after = CurrentWatermark();
    if (after > before && after != INT64_MIN) {
      RETURN_IF_ERROR(batches_.FlushAll());  // records before the watermark that covers them
      RETURN_IF_ERROR(Broadcast(MakeWatermarkFrame(after)));
    }
    return total;
  }

  int64_t CurrentWatermark() const {
    int64_t wm = INT64_MAX;
    for (const auto& [p, st] : parts_) wm = std::min(wm, st.Watermark(job().out_of_orderness_ms));
    return parts_.empty() ? INT64_MIN : wm;
  }

  Status OnMessage(const TaskMessage& m) override {
    if (m.type != TaskMessage::Type::kTriggerCheckpoint) return Status::Ok();
    int64_t id = m.checkpoint_id;
    RETURN_IF_ERROR(batches_.FlushAll());  // everything read before the barrier goes ahead of it
    RETURN_IF_ERROR(failpoint::Check("snapshot.write"));
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& [p, st] : parts_) parts.push_back(st.ToJson());
    std::string dir = store_.TaskDir(id, name());
    RETURN_IF_ERROR(CreateDirs(dir));
    RETURN_IF_ERROR(
        WriteFileAtomic(JoinPath(dir, kOffsetsFile), nlohmann::json{{"partitions", parts}}.dump()));
    ASSIGN_OR_RETURN(SnapshotFile f, DescribeFile(dir, kOffsetsFile));
    RETURN_IF_ERROR(failpoint::Check("snapshot.ack"));
    ReportAck(id, {f});
    RETURN_IF_ERROR(failpoint::Check("barrier.forward"));
    return Broadcast(MakeBarrierFrame(static_cast<uint64_t>(id)));
  }

  std::map<int, PartitionState> parts_;
  OutputBatches<InputRecord> batches_{FrameType::kRecords,
                                      EncodeInputBatch};  // per operator subtask
};

}  // namespace

std::unique_ptr<Task> MakeSourceTask(const TaskId& id, TaskEnv env) {
  return std::make_unique<SourceTask>(id, std::move(env));
}

}  // namespace faultline::runtime
