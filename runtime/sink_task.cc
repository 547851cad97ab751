// The sink task: writes operator results to the output directory, transactionally (two-phase
// commit per checkpoint, exactly-once) or directly (at-least-once, at-most-once).
#include <algorithm>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/logging.h"
#include "runtime/sink.h"
#include "runtime/task_io.h"
#include "runtime/tasks.h"

namespace faultline::runtime {
namespace {

constexpr char kSinkStateFile[] = "sink.state";

class SinkTask : public TaskBase {
 public:
  SinkTask(TaskId id, TaskEnv env) : TaskBase(id, std::move(env)) {}

  Status Run() override {
    RETURN_IF_ERROR(Open());
    RETURN_IF_ERROR(AwaitInputs(static_cast<size_t>(job().operator_parallelism)));
    ReportRunning();
    while (!cancelled()) {
      RETURN_IF_ERROR(DrainMailbox());
      ASSIGN_OR_RETURN(bool wrote, ProcessBuffered());
      if (wrote) RETURN_IF_ERROR(FlushOutput());
      RETURN_IF_ERROR(WaitForInput(20));
    }
    return Status::Aborted("cancelled");
  }

 private:
  bool transactional() const { return job().mode == Mode::kExactlyOnce; }

  Status Open() {
    if (!transactional()) {
      ASSIGN_OR_RETURN(direct_, DirectSink::Open(env_.config->output_dir, id_.index));
      return Status::Ok();
    }
    // Committed output is final (docs/design.md): even after a restore that goes back past
    // the newest checkpoint, what was committed stays, and the replay's output comes on top.
    // After a rescale this subtask also takes over the transactions of the subtasks it owns.
    SinkSnapshot restored;
    if (deployment().restore) {
      const CheckpointMetadata& meta = *deployment().restore;
      for (const TaskSnapshot& t : meta.tasks) {
        std::optional<TaskId> tid = TaskId::Parse(t.task);
        if (!tid || tid->kind != TaskKind::kSink ||
            !SinkOwnsSubtask(id_.index, job().sink_parallelism, tid->index)) {
          continue;
        }
        std::string path = JoinPath(store_.TaskDir(meta.id, t.task), kSinkStateFile);
        ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
        auto parsed = SinkSnapshot::Parse(data);
        if (!parsed.ok()) return parsed.status().WithContext(path);
        for (SinkSnapshot::Txn& txn : parsed->precommitted) {
          restored.precommitted.push_back(std::move(txn));
        }
      }
      std::stable_sort(restored.precommitted.begin(), restored.precommitted.end(),
                       [](const SinkSnapshot::Txn& a, const SinkSnapshot::Txn& b) {
                         return a.checkpoint_id < b.checkpoint_id;
                       });
    }
    ASSIGN_OR_RETURN(
        txn_, TransactionalSink::Open(env_.config->output_dir, id_.index, job().sink_parallelism,
                                      deployment().attempt, restored));
    for (const auto& t : restored.precommitted) {
      env_.events->Emit("transaction-committed", {{"task", name()},
                                                  {"checkpoint", t.checkpoint_id},
                                                  {"pending", t.pending_name},
                                                  {"on_restore", true}});
    }
    return Status::Ok();
  }

  // Whether any output records were written.
  Result<bool> ProcessBuffered() {
    bool wrote = false;
    RETURN_IF_ERROR(ProcessInputs(
        [&](size_t, const Frame& f) {
          wrote |= f.type == FrameType::kOutputs;
          return OnFrame(f);
        },
        [&](int64_t id) { return Checkpoint(id); }));
    return wrote;
  }

  // Output records and watermarks; barriers and ends of stream are the aligner's.
  Status OnFrame(const Frame& f) {
    switch (f.type) {
      case FrameType::kOutputs: {
        ASSIGN_OR_RETURN(std::vector<OutputRecord> batch, DecodeOutputBatch(f.body));
        for (const OutputRecord& r : batch) {
          RETURN_IF_ERROR(transactional() ? txn_->Write(r) : direct_->Write(r));
        }
        return Status::Ok();
      }
      case FrameType::kWatermark:
        return Status::Ok();
      default:
        return Status::Corruption("unexpected " + std::string(FrameTypeName(f.type)) + " frame");
    }
  }

  Status FlushOutput() { return transactional() ? txn_->Flush() : direct_->Flush(); }

  Status Checkpoint(int64_t id) {
    RETURN_IF_ERROR(failpoint::Check("snapshot.write"));
    std::vector<SnapshotFile> files;
    if (transactional()) {
      ASSIGN_OR_RETURN(SinkSnapshot snap, txn_->PreCommit(id));
      std::string dir = store_.TaskDir(id, name());
      RETURN_IF_ERROR(CreateDirs(dir));
      RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kSinkStateFile), snap.Serialize()));
      ASSIGN_OR_RETURN(SnapshotFile f, DescribeFile(dir, kSinkStateFile));
      files.push_back(std::move(f));
    } else if (job().mode == Mode::kAtLeastOnce) {
      // Everything before the barrier must survive: a restore replays only what followed it.
      RETURN_IF_ERROR(direct_->Sync());
    } else {
      RETURN_IF_ERROR(direct_->Flush());  // at-most-once may lose output; offsets are durable
    }
    RETURN_IF_ERROR(failpoint::Check("snapshot.ack"));
    ReportAck(id, std::move(files));
    return Status::Ok();
  }

  Status OnMessage(const TaskMessage& m) override {
    if (m.type != TaskMessage::Type::kCheckpointComplete || !transactional()) return Status::Ok();
    RETURN_IF_ERROR(txn_->Commit(m.checkpoint_id));
    env_.events->Emit("transaction-committed", {{"task", name()}, {"checkpoint", m.checkpoint_id}});
    return Status::Ok();
  }

  std::unique_ptr<TransactionalSink> txn_;
  std::unique_ptr<DirectSink> direct_;
};

}  // namespace

std::unique_ptr<Task> MakeSinkTask(const TaskId& id, TaskEnv env) {
  return std::make_unique<SinkTask>(id, std::move(env));
}

}  // namespace faultline::runtime
