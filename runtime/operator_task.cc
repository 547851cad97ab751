// The keyed operator task: applies records to keyed state (running count, or tumbling
// event-time window counts), aligns barriers in exactly-once mode (tracks them unaligned
// otherwise), snapshots state per checkpoint and routes results to sink subtasks by key group.
#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/json.h"
#include "base/logging.h"
#include "runtime/key_groups.h"
#include "runtime/task_io.h"
#include "runtime/tasks.h"

namespace faultline::runtime {
namespace {

constexpr char kStateDir[] = "state";
constexpr char kOperatorMeta[] = "operator.json";

int64_t ParseInt64(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Window state key: "<window start>|<key>"; the user key keeps its own key group.
std::string WindowStateKey(int64_t start, std::string_view key) {
  return std::to_string(start) + "|" + std::string(key);
}

class OperatorTask : public TaskBase {
 public:
  OperatorTask(TaskId id, TaskEnv env) : TaskBase(id, std::move(env)) {}

  Status Run() override {
    RETURN_IF_ERROR(Restore());
    std::vector<TaskId> targets;
    for (int i = 0; i < job().sink_parallelism; ++i) targets.push_back({TaskKind::kSink, i});
    RETURN_IF_ERROR(ConnectOutputs(targets));
    batches_.Bind(&outputs_, env_.cancel, static_cast<size_t>(job().batch_size));
    RETURN_IF_ERROR(AwaitInputs(static_cast<size_t>(job().source_parallelism)));
    ReportRunning();
    int64_t last_flush_ms = MonotonicMillis();
    while (!cancelled()) {
      RETURN_IF_ERROR(DrainMailbox());
      RETURN_IF_ERROR(ProcessBuffered());
      int64_t since = MonotonicMillis() - last_flush_ms;
      if (since >= job().flush_interval_ms) {
        RETURN_IF_ERROR(batches_.FlushAll());
        last_flush_ms = MonotonicMillis();
        since = 0;
      }
      RETURN_IF_ERROR(
          WaitForInput(static_cast<int>(std::max<int64_t>(1, job().flush_interval_ms - since))));
    }
    return Status::Aborted("cancelled");
  }

 private:
  Status Restore() {
    range_ = KeyGroupRangeForSubtask(job().max_parallelism, job().operator_parallelism, id_.index);
    std::vector<SnapshotSource> restore;
    if (deployment().restore) {
      const CheckpointMetadata& meta = *deployment().restore;
      ASSIGN_OR_RETURN(restore, RestoreSources(meta));
      // The watermark of every operator snapshot, as every one fed this subtask's inputs.
      bool first = true;
      for (const TaskSnapshot& t : meta.tasks) {
        if (t.task.rfind("operator-", 0) != 0) continue;
        ASSIGN_OR_RETURN(nlohmann::json j,
                         ReadJsonFile(JoinPath(store_.TaskDir(meta.id, t.task), kOperatorMeta)));
        int64_t wm = j.value("watermark", INT64_MIN);
        watermark_ = first ? wm : std::min(watermark_, wm);
        first = false;
      }
    }
    std::string work = JoinPath(env_.config->FindNode(env_.worker_id)->data_dir,
                                "state/" + name() + "-a" + std::to_string(deployment().attempt));
    if (!restore.empty()) RETURN_IF_ERROR(failpoint::Check("state.restore"));
    ASSIGN_OR_RETURN(state_, OpenStateBackend(job().state_backend, work, range_, restore));
    if (job().op == OperatorKind::kWindowCount) {
      RETURN_IF_ERROR(state_->ForEach([&](int kg, std::string_view key, std::string_view) {
        auto bar = key.find('|');
        int64_t start = ParseInt64(key.substr(0, bar));
        open_windows_[start + job().window_size_ms].insert({kg, std::string(key)});
        return true;
      }));
    }
    return Status::Ok();
  }

  // The operator snapshots of `meta` that hold key groups of range_, the one holding most of
  // them first (the backend's base: rocksdb opens it as it is and copies in the rest). At the
  // same parallelism that is this subtask's own snapshot alone.
  Result<std::vector<SnapshotSource>> RestoreSources(const CheckpointMetadata& meta) const {
    std::vector<std::pair<int, SnapshotSource>> overlapping;  // (key groups in range_, source)
    for (const TaskSnapshot& t : meta.tasks) {
      std::optional<TaskId> tid = TaskId::Parse(t.task);
      if (!tid || tid->kind != TaskKind::kOperator) continue;
      KeyGroupRange theirs =
          KeyGroupRangeForSubtask(meta.max_parallelism, meta.operator_parallelism, tid->index);
      int shared = std::min(theirs.last, range_.last) - std::max(theirs.first, range_.first) + 1;
      if (shared <= 0) continue;
      SnapshotSource source{.dir = JoinPath(store_.TaskDir(meta.id, t.task), kStateDir),
                            .shared_dir = store_.SharedDir()};
      const std::string prefix = std::string(kStateDir) + "/";
      for (const SnapshotFile& f : t.files) {
        if (!f.name.starts_with(prefix)) continue;
        SnapshotFile local = f;
        local.name = f.name.substr(prefix.size());
        source.files.push_back(std::move(local));
      }
      if (source.files.empty()) {
        return Status::Corruption("chk-" + std::to_string(meta.id) + ": " + t.task +
                                  " lists no state files");
      }
      overlapping.emplace_back(shared, std::move(source));
    }
    std::stable_sort(overlapping.begin(), overlapping.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<SnapshotSource> sources;
    for (auto& [groups, source] : overlapping) sources.push_back(std::move(source));
    return sources;
  }

  Status ProcessBuffered() {
    return ProcessInputs([&](size_t input, const Frame& f) { return OnFrame(input, f); },
                         [&](int64_t id) { return Checkpoint(id); });
  }

  // Records and watermarks; barriers and ends of stream are the aligner's (ProcessInputs).
  Status OnFrame(size_t input, const Frame& f) {
    switch (f.type) {
      case FrameType::kRecords: {
        ASSIGN_OR_RETURN(std::vector<InputRecord> batch, DecodeInputBatch(f.body));
        for (const InputRecord& r : batch) RETURN_IF_ERROR(Apply(r));
        return Status::Ok();
      }
      case FrameType::kWatermark: {
        ASSIGN_OR_RETURN(int64_t wm, DecodeSignedBody(f.body));
        InputChannel& in = *inputs_[input];
        in.watermark = std::max(in.watermark, wm);
        return AdvanceWatermark();
      }
      default:
        return Status::Corruption("unexpected " + std::string(FrameTypeName(f.type)) + " frame");
    }
  }

  Status Apply(const InputRecord& r) {
    RETURN_IF_ERROR(failpoint::Check("operator.process"));
    int kg = KeyGroupOf(r.key, job().max_parallelism);
    if (!range_.Contains(kg)) {
      return Status::Corruption("record " + std::to_string(r.id) + " of key group " +
                                std::to_string(kg) + " routed to " + name());
    }
    if (job().op == OperatorKind::kCount) {
      ASSIGN_OR_RETURN(std::optional<std::string> old, state_->Get(kg, r.key));
      int64_t count = (old ? ParseInt64(*old) : 0) + 1;
      RETURN_IF_ERROR(state_->Put(kg, r.key, std::to_string(count)));
      OutputRecord out;
      out.kind = OutputRecord::Kind::kCount;
      out.id = r.id;
      out.key = r.key;
      out.count = count;
      return Emit(kg, std::move(out));
    }
    int64_t size = job().window_size_ms;
    int64_t start = r.event_time >= 0 ? r.event_time / size * size
                                      : -((-r.event_time + size - 1) / size) * size;
    if (watermark_ != INT64_MIN && start + size <= watermark_) {
      // Late: its window already fired. Counted and reported, never silently dropped.
      ++late_records_;
      if (MonotonicMillis() - last_late_report_ms_ >= 1000) {
        env_.events->Emit("late-records", {{"task", name()}, {"total", late_records_}});
        last_late_report_ms_ = MonotonicMillis();
      }
      return Status::Ok();
    }
    std::string skey = WindowStateKey(start, r.key);
    ASSIGN_OR_RETURN(std::optional<std::string> old, state_->Get(kg, skey));
    int64_t count = (old ? ParseInt64(*old) : 0) + 1;
    RETURN_IF_ERROR(state_->Put(kg, skey, std::to_string(count)));
    if (!old) open_windows_[start + size].insert({kg, skey});
    return Status::Ok();
  }

  Status AdvanceWatermark() {
    int64_t wm = INT64_MAX;
    for (size_t c = 0; c < inputs_.size(); ++c) {
      if (!aligner_->Ended(c)) wm = std::min(wm, inputs_[c]->watermark);
    }
    if (wm == INT64_MAX || wm <= watermark_) return Status::Ok();
    watermark_ = wm;
    while (!open_windows_.empty() && open_windows_.begin()->first <= watermark_) {
      int64_t end = open_windows_.begin()->first;
      for (const auto& [kg, skey] : open_windows_.begin()->second) {
        ASSIGN_OR_RETURN(std::optional<std::string> v, state_->Get(kg, skey));
        if (!v) continue;
        auto bar = skey.find('|');
        OutputRecord out;
        out.kind = OutputRecord::Kind::kWindow;
        out.key = skey.substr(bar + 1);
        out.window_start = end - job().window_size_ms;
        out.window_end = end;
        out.count = ParseInt64(*v);
        RETURN_IF_ERROR(state_->Delete(kg, skey));
        RETURN_IF_ERROR(Emit(kg, std::move(out)));
      }
      open_windows_.erase(open_windows_.begin());
    }
    return Status::Ok();
  }

  Status Emit(int key_group, OutputRecord out) {
    int target = SubtaskForKeyGroup(job().max_parallelism, job().sink_parallelism, key_group);
    return batches_.Add(static_cast<size_t>(target), std::move(out));
  }

  Status Checkpoint(int64_t id) {
    RETURN_IF_ERROR(batches_.FlushAll());
    RETURN_IF_ERROR(failpoint::Check("snapshot.write"));
    std::string dir = store_.TaskDir(id, name());
    RETURN_IF_ERROR(CreateDirs(dir));
    SnapshotTarget target{.dir = JoinPath(dir, kStateDir)};
    if (job().checkpoint.incremental) {
      target.shared_dir = store_.SharedDir();
      target.shared_prefix = name() + "-a" + std::to_string(deployment().attempt) + "-";
    }
    ASSIGN_OR_RETURN(std::vector<SnapshotFile> state_files, state_->Snapshot(target));
    std::vector<SnapshotFile> files;
    for (SnapshotFile& f : state_files) {
      f.name = std::string(kStateDir) + "/" + f.name;
      files.push_back(std::move(f));
    }
    nlohmann::json meta = {{"watermark", watermark_}, {"late_records", late_records_}};
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kOperatorMeta), meta.dump()));
    ASSIGN_OR_RETURN(SnapshotFile mf, DescribeFile(dir, kOperatorMeta));
    files.push_back(std::move(mf));
    RETURN_IF_ERROR(failpoint::Check("snapshot.ack"));
    ReportAck(id, std::move(files));
    RETURN_IF_ERROR(failpoint::Check("barrier.forward"));
    return Broadcast(MakeBarrierFrame(static_cast<uint64_t>(id)));
  }

  Status OnMessage(const TaskMessage&) override { return Status::Ok(); }

  KeyGroupRange range_;
  std::unique_ptr<KeyedStateBackend> state_;
  int64_t watermark_ = INT64_MIN;
  int64_t late_records_ = 0;
  int64_t last_late_report_ms_ = 0;
  std::map<int64_t, std::set<std::pair<int, std::string>>> open_windows_;  // end -> state keys
  OutputBatches<OutputRecord> batches_{FrameType::kOutputs, EncodeOutputBatch};  // per sink subtask
};

}  // namespace

std::unique_ptr<Task> MakeOperatorTask(const TaskId& id, TaskEnv env) {
  return std::make_unique<OperatorTask>(id, std::move(env));
}

}  // namespace faultline::runtime
