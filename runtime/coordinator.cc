#include "runtime/coordinator.h"

#include <poll.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/json.h"
#include "base/logging.h"
#include "runtime/checkpoint_store.h"
#include "runtime/control.h"
#include "runtime/events.h"
#include "runtime/stop_signal.h"
#include "runtime/task.h"

namespace faultline::runtime {
namespace {

constexpr int64_t kDeployTimeoutMs = 60'000;

struct WorkerConn {
  std::string id;
  int slots = 0;
  std::unique_ptr<FrameConn> conn;
  int64_t last_heard_ms = 0;
};

struct PendingCheckpoint {
  int64_t id = 0;
  int64_t triggered_ms = 0;
  std::map<std::string, std::vector<SnapshotFile>> acks;  // task -> files
};

nlohmann::json ParallelismJson(int source, int op, int sink) {
  return {{"source", source}, {"operator", op}, {"sink", sink}};
}

enum class JobState { kWaitingForSlots, kDeploying, kRunning, kFailed };

class Coordinator {
 public:
  Coordinator(const ClusterConfig& config, JobConfig job, std::optional<int64_t> restore_id)
      : config_(config),
        job_(std::move(job)),
        store_(config.checkpoint_dir),
        restore_id_(restore_id) {}

  Status Run() {
    const std::string& dir = config_.coordinator.data_dir;
    RETURN_IF_ERROR(CreateDirs(dir));
    RETURN_IF_ERROR(CreateDirs(config_.checkpoint_dir));
    RETURN_IF_ERROR(events_.Open(JoinPath(dir, "events.jsonl"), "coordinator"));
    ASSIGN_OR_RETURN(attempt_, LoadAttempt());
    ASSIGN_OR_RETURN(max_checkpoint_id_, store_.MaxId());
    ASSIGN_OR_RETURN(Socket listener, Listen(config_.coordinator.listen));
    intake_ = std::make_unique<ConnectionIntake>(std::move(listener));
    events_.Emit("coordinator-started",
                 {{"listen", config_.coordinator.listen}, {"attempt", attempt_}});
    FL_LOG(Info) << "listening on " << config_.coordinator.listen << ", job "
                 << OperatorName(job_.op) << " " << ModeName(job_.mode);
    while (!StopRequested()) {
      PollOnce();
      HandleHellos();
      HandleWorkers();
      CheckLiveness();
      Step();
    }
    for (auto& [id, w] : workers_) SendTo(*w, {{"type", "cancel"}, {"attempt", attempt_}});
    events_.Emit("coordinator-stopped");
    return state_ == JobState::kFailed ? Status::Aborted("job failed") : Status::Ok();
  }

 private:
  std::string AttemptPath() const { return JoinPath(config_.coordinator.data_dir, "attempt"); }

  Result<int64_t> LoadAttempt() {
    auto text = ReadFileToString(AttemptPath());
    if (!text.ok()) return text.status().IsNotFound() ? Result<int64_t>(int64_t{0}) : text.status();
    return std::atoll(text->c_str());
  }

  void PollOnce() {
    std::vector<pollfd> fds;
    intake_->AddPollFds(&fds);
    for (const auto& [id, w] : workers_) {
      short ev = POLLIN;
      if (w->conn->WantsWrite()) ev |= POLLOUT;
      fds.push_back({w->conn->fd(), ev, 0});
    }
    ::poll(fds.data(), fds.size(), 10);
  }

  void HandleHellos() {
    auto admin = [&](const nlohmann::json& r) { return Admin(r); };
    for (auto& [conn, hello] : intake_->Poll(admin)) {
      if (hello.value("kind", "") == "worker") {
        std::string id = hello.value("worker", "");
        if (config_.FindNode(id) == nullptr || id == "coordinator") continue;
        if (workers_.count(id) > 0) LoseWorker(id, "reconnected");
        auto w = std::make_unique<WorkerConn>();
        w->id = id;
        // The FrameConn keeps any bytes that followed the hello (the register message).
        w->conn = std::make_unique<FrameConn>(std::move(*conn));
        w->last_heard_ms = MonotonicMillis();
        workers_[id] = std::move(w);
      }
    }
  }

  nlohmann::json Admin(const nlohmann::json& request) {
    std::string type = request.value("type", "");
    if (type == "status") {
      nlohmann::json workers = nlohmann::json::array();
      for (const auto& [id, w] : workers_) workers.push_back(id);
      const char* state = state_ == JobState::kRunning     ? "running"
                          : state_ == JobState::kDeploying ? "deploying"
                          : state_ == JobState::kFailed    ? "failed"
                                                           : "waiting-for-slots";
      return {{"ok", true},
              {"state", state},
              {"attempt", attempt_},
              {"workers", workers},
              {"last_completed_checkpoint", last_completed_},
              {"completed_checkpoints", completed_count_},
              {"failure", failure_}};
    }
    if (type == "worker-failpoint") {  // forward to a worker over its control link
      auto it = workers_.find(request.value("worker", ""));
      if (it == workers_.end()) return {{"ok", false}, {"error", "no such connected worker"}};
      nlohmann::json fwd = request;
      fwd["type"] = "failpoint";
      SendTo(*it->second, fwd);
      return {{"ok", true}};
    }
    return nullptr;
  }

  void HandleWorkers() {
    std::vector<std::pair<std::string, std::string>> lost;
    for (auto& [id, w] : workers_) {
      Status s = w->conn->ReadAvailable();
      while (s.ok()) {
        auto frame = w->conn->NextFrame();
        if (!frame.ok()) {
          s = frame.status();
          break;
        }
        if (!frame->has_value()) break;
        w->last_heard_ms = MonotonicMillis();
        auto msg = ParseControlFrame(**frame);
        if (!msg.ok()) {
          s = msg.status();
          break;
        }
        OnWorkerMessage(*w, *msg);
      }
      if (s.ok()) s = w->conn->FlushSome();
      if (!s.ok()) lost.emplace_back(id, s.ToString());
    }
    for (auto& [id, why] : lost) LoseWorker(id, why);
  }

  void CheckLiveness() {
    std::vector<std::string> lost;
    for (auto& [id, w] : workers_) {
      if (MonotonicMillis() - w->last_heard_ms > config_.heartbeat_timeout_ms) lost.push_back(id);
    }
    for (auto& id : lost) {
      LoseWorker(id, "no heartbeat for " + std::to_string(config_.heartbeat_timeout_ms) + " ms");
    }
    if (MonotonicMillis() - last_heartbeat_ms_ >= config_.heartbeat_interval_ms) {
      last_heartbeat_ms_ = MonotonicMillis();
      for (auto& [id, w] : workers_) SendTo(*w, {{"type", "heartbeat"}});
    }
  }

  void LoseWorker(const std::string& id, const std::string& why) {
    auto it = workers_.find(id);
    if (it == workers_.end()) return;
    workers_.erase(it);
    FL_LOG(Warning) << "worker " << id << " lost: " << why;
    events_.Emit("worker-lost", {{"worker", id}, {"reason", why}});
    bool hosted = std::any_of(placement_.begin(), placement_.end(),
                              [&](const auto& p) { return p.second == id; });
    if (hosted && (state_ == JobState::kRunning || state_ == JobState::kDeploying)) {
      // Wait out the heartbeat timeout before redeploying: a worker cut off from us cancels its
      // own tasks within that time, so no zombie of this attempt outlives it.
      Failover("worker " + id + " lost: " + why, config_.heartbeat_timeout_ms);
    }
  }

  void OnWorkerMessage(WorkerConn& w, const nlohmann::json& msg) {
    std::string type = msg.value("type", "");
    int64_t attempt = msg.value("attempt", int64_t{-1});
    if (type == "register") {
      w.slots = msg.value("slots", 0);
      events_.Emit("worker-registered", {{"worker", w.id}, {"slots", w.slots}});
      return;
    }
    if (type == "heartbeat" || type == "cancelled") return;
    if (attempt != attempt_) return;  // news from an attempt that no longer runs
    if (type == "running") {
      running_.insert(msg.value("task", ""));
      if (state_ == JobState::kDeploying && running_.size() == AllTasks(job_).size()) {
        state_ = JobState::kRunning;
        last_checkpoint_end_ms_ = MonotonicMillis();
        events_.Emit("job-running", {{"attempt", attempt_}});
        if (failover_started_ms_ >= 0) {
          events_.Emit("failover-end", {{"attempt", attempt_},
                                        {"duration_ms", MonotonicMillis() - failover_started_ms_}});
          failover_started_ms_ = -1;
        }
        restarts_in_a_row_ = 0;
      }
    } else if (type == "task-failed") {
      std::string error = msg.value("error", "");
      events_.Emit("task-failed",
                   {{"task", msg.value("task", "")}, {"worker", w.id}, {"error", error}});
      Failover("task " + msg.value("task", "") + " failed: " + error, 0);
    } else if (type == "ack") {
      OnAck(msg);
    }
  }

  void OnAck(const nlohmann::json& msg) {
    int64_t id = msg.value("checkpoint", int64_t{0});
    auto it = pending_checkpoints_.find(id);
    if (it == pending_checkpoints_.end()) return;
    std::vector<SnapshotFile> files;
    for (const auto& f : msg["files"]) {
      files.push_back({f.value("name", ""), f.value("size", uint64_t{0}),
                       f.value("crc32c", uint32_t{0}), f.value("shared", "")});
    }
    it->second.acks[msg.value("task", "")] = std::move(files);
    if (it->second.acks.size() == AllTasks(job_).size()) CompleteCheckpoint(it->second);
  }

  void CompleteCheckpoint(const PendingCheckpoint& pc) {
    int64_t id = pc.id;
    CheckpointMetadata meta;
    meta.id = id;
    meta.attempt = attempt_;
    meta.completed_wall_ms = WallMillis();
    meta.mode = ModeName(job_.mode);
    meta.source_parallelism = job_.source_parallelism;
    meta.operator_parallelism = job_.operator_parallelism;
    meta.sink_parallelism = job_.sink_parallelism;
    meta.max_parallelism = job_.max_parallelism;
    // bytes: the state the checkpoint holds; new_bytes: what it added to the store (its own
    // files and the shared files no checkpoint this coordinator completed referred to).
    uint64_t bytes = 0, new_bytes = 0;
    std::set<std::string> shared;
    for (const auto& [task, files] : pc.acks) {
      for (const auto& f : files) {
        bytes += f.size;
        if (f.shared.empty() || known_shared_.count(f.shared) == 0) new_bytes += f.size;
        if (!f.shared.empty()) shared.insert(f.shared);
      }
      meta.tasks.push_back({task, files});
    }
    int64_t duration = MonotonicMillis() - pc.triggered_ms;
    Status s = failpoint::Check("coordinator.checkpoint.before_metadata");
    if (s.ok()) s = store_.WriteMetadata(meta);
    if (!s.ok()) {
      AbortCheckpoint(id, "writing _metadata: " + s.ToString());
      return;
    }
    // _metadata is durable: the checkpoint exists even if we die before telling anyone.
    Status notify = failpoint::Check("coordinator.checkpoint.after_metadata_before_notify");
    pending_checkpoints_.erase(id);
    last_completed_ = id;
    ++completed_count_;
    failed_checkpoints_in_a_row_ = 0;
    last_checkpoint_end_ms_ = MonotonicMillis();
    known_shared_ = std::move(shared);
    events_.Emit("checkpoint-completed", {{"checkpoint", id},
                                          {"attempt", attempt_},
                                          {"duration_ms", duration},
                                          {"bytes", bytes},
                                          {"new_bytes", new_bytes}});
    if (!notify.ok()) {
      Failover("notifying checkpoint " + std::to_string(id) + ": " + notify.ToString(), 0);
      return;
    }
    for (auto& [wid, w] : workers_) {
      SendTo(*w, {{"type", "complete"}, {"attempt", attempt_}, {"checkpoint", id}});
    }
    // Subsumed: older checkpoints still in flight can never be restored from.
    for (auto it = pending_checkpoints_.begin(); it != pending_checkpoints_.end();) {
      if (it->first < id) {
        events_.Emit("checkpoint-aborted", {{"checkpoint", it->first}, {"reason", "subsumed"}});
        (void)store_.Remove(it->first);
        it = pending_checkpoints_.erase(it);
      } else {
        ++it;
      }
    }
    PruneCheckpoints();
  }

  // Old checkpoints go; shared files no retained checkpoint lists go too, but only while no
  // checkpoint is in progress (its snapshots may have written shared files no _metadata lists
  // yet). A prune that fails is retried at the next completion.
  void PruneCheckpoints() {
    Result<PruneResult> pruned =
        store_.Prune(job_.checkpoint.retained, /*collect_shared=*/pending_checkpoints_.empty());
    if (!pruned.ok()) {
      FL_LOG(Warning) << "pruning checkpoints: " << pruned.status().ToString();
      events_.Emit("prune-failed", {{"reason", pruned.status().ToString()}});
      return;
    }
    if (pruned->shared_files_deleted > 0) {
      events_.Emit("shared-files-deleted", {{"files", pruned->shared_files_deleted},
                                            {"bytes", pruned->shared_bytes_deleted}});
    }
  }

  void AbortCheckpoint(int64_t id, const std::string& why) {
    pending_checkpoints_.erase(id);
    (void)store_.Remove(id);
    ++failed_checkpoints_in_a_row_;
    last_checkpoint_end_ms_ = MonotonicMillis();
    FL_LOG(Warning) << "checkpoint " << id << " aborted: " << why;
    events_.Emit("checkpoint-aborted", {{"checkpoint", id}, {"reason", why}});
    if (failed_checkpoints_in_a_row_ > job_.checkpoint.tolerable_failures) {
      Failover("more than " + std::to_string(job_.checkpoint.tolerable_failures) +
                   " checkpoints failed in a row",
               0);
    }
  }

  void Failover(const std::string& why, int64_t min_delay_ms) {
    if (state_ == JobState::kFailed) return;
    FL_LOG(Warning) << "failover: " << why;
    if (failover_started_ms_ < 0) failover_started_ms_ = MonotonicMillis();
    events_.Emit("failover-begin", {{"attempt", attempt_}, {"reason", why}});
    for (auto& [id, w] : workers_) SendTo(*w, {{"type", "cancel"}, {"attempt", attempt_}});
    for (auto& [id, pc] : pending_checkpoints_) {
      events_.Emit("checkpoint-aborted", {{"checkpoint", id}, {"reason", "failover"}});
      (void)store_.Remove(id);
    }
    pending_checkpoints_.clear();
    running_.clear();
    placement_.clear();
    const RestartConfig& r = job_.restart;
    if (++restarts_in_a_row_ > r.max_attempts) {
      Halt("restart attempts exhausted: " + why);
      return;
    }
    double delay = static_cast<double>(r.delay_ms);
    if (r.strategy == RestartConfig::Strategy::kExponentialDelay) {
      delay = std::min(static_cast<double>(r.max_delay_ms),
                       delay * std::pow(r.multiplier, restarts_in_a_row_ - 1));
    }
    deploy_not_before_ms_ =
        MonotonicMillis() + std::max<int64_t>(min_delay_ms, static_cast<int64_t>(delay));
    state_ = JobState::kWaitingForSlots;
  }

  // The job stops for good: no more deployments; status says why.
  void Halt(const std::string& why) {
    FL_LOG(Error) << "job failed: " << why;
    for (auto& [id, w] : workers_) SendTo(*w, {{"type", "cancel"}, {"attempt", attempt_}});
    running_.clear();
    placement_.clear();
    state_ = JobState::kFailed;
    failure_ = why;
    events_.Emit("job-failed", {{"reason", why}});
  }

  void Step() {
    switch (state_) {
      case JobState::kWaitingForSlots: {
        int slots = 0;
        for (const auto& [id, w] : workers_) slots += w->slots;
        if (slots >= job_.TotalTasks() && MonotonicMillis() >= deploy_not_before_ms_) Deploy();
        return;
      }
      case JobState::kDeploying:
        if (MonotonicMillis() - deploy_started_ms_ > kDeployTimeoutMs) {
          Failover("deployment of attempt " + std::to_string(attempt_) + " timed out", 0);
        }
        return;
      case JobState::kRunning:
        MaybeTriggerCheckpoint();
        CheckCheckpointTimeouts();
        return;
      case JobState::kFailed:
        return;
    }
  }

  void Deploy() {
    if (!failpoint::Check("coordinator.deploy").ok()) return;
    const bool fall_back = job_.checkpoint.fallback_on_corrupt;
    auto restore = store_.SelectRestore(restore_id_, fall_back, [&](int64_t id, const Status& why) {
      FL_LOG(Warning) << "skipping checkpoint " << id << ": " << why.ToString();
      events_.Emit("checkpoint-skipped", {{"checkpoint", id}, {"reason", why.ToString()}});
    });
    if (!restore.ok()) {
      events_.Emit("restore-failed", {{"reason", restore.status().ToString()}});
      if (IsUnreadableCheckpoint(restore.status())) {
        Halt("cannot restore: " + restore.status().ToString());
      } else {
        Failover("cannot restore: " + restore.status().ToString(), 1000);
      }
      return;
    }
    const std::optional<CheckpointMetadata>& chosen = restore->checkpoint;
    if (chosen && chosen->max_parallelism != job_.max_parallelism) {
      // Key groups are hash % max_parallelism: another count would put keys in groups
      // whose state holds other keys.
      Halt("cannot restore chk-" + std::to_string(chosen->id) + ": it was taken with " +
           "max_parallelism " + std::to_string(chosen->max_parallelism) + ", the job has " +
           std::to_string(job_.max_parallelism));
      return;
    }
    restore_id_.reset();  // a rollback target applies to the first deployment only
    int64_t next_attempt = attempt_ + 1;
    Status s = WriteFileAtomic(AttemptPath(), std::to_string(next_attempt));
    if (!s.ok()) {
      Failover("persisting the attempt: " + s.ToString(), 1000);
      return;
    }
    attempt_ = next_attempt;
    // Placement: tasks round-robin over the workers (sorted by id), within their slots.
    placement_.clear();
    std::map<std::string, int> free;
    for (const auto& [id, w] : workers_) free[id] = w->slots;
    auto next = free.begin();
    for (const TaskId& t : AllTasks(job_)) {
      for (size_t tries = 0; tries < free.size() && next->second == 0; ++tries) {
        if (++next == free.end()) next = free.begin();
      }
      placement_[t.Name()] = next->first;
      --next->second;
      if (++next == free.end()) next = free.begin();
    }
    nlohmann::json placement = placement_;
    nlohmann::json restore_json = chosen ? nlohmann::json(chosen->id) : nlohmann::json();
    const nlohmann::json parallelism =
        ParallelismJson(job_.source_parallelism, job_.operator_parallelism, job_.sink_parallelism);
    for (auto& [id, w] : workers_) {
      SendTo(*w, {{"type", "deploy"},
                  {"attempt", attempt_},
                  {"placement", placement},
                  {"parallelism", parallelism},
                  {"restore", restore_json}});
    }
    if (chosen) last_completed_ = chosen->id;
    events_.Emit("deploy", {{"attempt", attempt_},
                            {"placement", placement},
                            {"parallelism", parallelism},
                            {"restore", restore_json}});
    if (chosen) {
      nlohmann::json fields = {{"checkpoint", chosen->id}, {"attempt", attempt_}};
      if (chosen->operator_parallelism != job_.operator_parallelism ||
          chosen->sink_parallelism != job_.sink_parallelism) {
        // Rescaled: key groups move to the subtasks that own them now.
        fields["rescaled_from"] = ParallelismJson(
            chosen->source_parallelism, chosen->operator_parallelism, chosen->sink_parallelism);
        fields["rescaled_to"] = parallelism;
      }
      events_.Emit("restore", fields);
    }
    if (restore->GoesBack()) {
      // Output committed after the restore point stays committed; the replay emits it again.
      events_.Emit("restore-went-back", {{"checkpoint", restore_json},
                                         {"newest", restore->newest},
                                         {"rollback", restore->rollback},
                                         {"attempt", attempt_}});
    }
    running_.clear();
    deploy_started_ms_ = MonotonicMillis();
    state_ = JobState::kDeploying;
  }

  void MaybeTriggerCheckpoint() {
    const CheckpointConfig& c = job_.checkpoint;
    int64_t now = MonotonicMillis();
    if (static_cast<int>(pending_checkpoints_.size()) >= c.max_concurrent) return;
    if (now - last_trigger_ms_ < c.interval_ms) return;
    if (now - last_checkpoint_end_ms_ < c.min_pause_ms) return;
    PendingCheckpoint pc;
    pc.id = ++max_checkpoint_id_;
    pc.triggered_ms = now;
    last_trigger_ms_ = now;
    pending_checkpoints_[pc.id] = pc;
    events_.Emit("checkpoint-triggered", {{"checkpoint", pc.id}, {"attempt", attempt_}});
    std::set<std::string> hosts;
    for (const auto& [task, worker] : placement_) {
      if (task.rfind("source-", 0) == 0) hosts.insert(worker);
    }
    for (const auto& id : hosts) {
      auto it = workers_.find(id);
      if (it != workers_.end()) {
        SendTo(*it->second, {{"type", "trigger"}, {"attempt", attempt_}, {"checkpoint", pc.id}});
      }
    }
  }

  void CheckCheckpointTimeouts() {
    std::vector<int64_t> expired;
    for (const auto& [id, pc] : pending_checkpoints_) {
      if (MonotonicMillis() - pc.triggered_ms > job_.checkpoint.timeout_ms) expired.push_back(id);
    }
    for (int64_t id : expired) AbortCheckpoint(id, "timed out");
  }

  void SendTo(WorkerConn& w, const nlohmann::json& msg) {
    w.conn->Queue(ControlFrame(msg));
    (void)w.conn->FlushSome();  // errors surface on the next read of this connection
  }

  const ClusterConfig& config_;
  const JobConfig job_;  // as deployed: the config's, at the parallelism the options asked for
  CheckpointStore store_;
  std::optional<int64_t> restore_id_;
  EventLog events_;
  std::unique_ptr<ConnectionIntake> intake_;
  std::map<std::string, std::unique_ptr<WorkerConn>> workers_;

  JobState state_ = JobState::kWaitingForSlots;
  int64_t attempt_ = 0;
  std::map<std::string, std::string> placement_;
  std::set<std::string> running_;
  int64_t deploy_started_ms_ = 0;
  int64_t deploy_not_before_ms_ = 0;
  int64_t failover_started_ms_ = -1;
  int restarts_in_a_row_ = 0;

  std::map<int64_t, PendingCheckpoint> pending_checkpoints_;
  std::set<std::string> known_shared_;  // the shared files of the last completed checkpoint
  int64_t max_checkpoint_id_ = 0;
  int64_t last_completed_ = 0;
  int64_t completed_count_ = 0;
  std::string failure_;  // why the job failed, once it has
  int64_t last_trigger_ms_ = 0;
  int64_t last_checkpoint_end_ms_ = 0;
  int64_t last_heartbeat_ms_ = 0;
  int failed_checkpoints_in_a_row_ = 0;
};

}  // namespace

Result<JobConfig> DeployedJob(const JobConfig& job, const CoordinatorOptions& options) {
  JobConfig deployed = job;
  for (auto [flag, wanted, field] :
       {std::tuple{"--operator-parallelism", options.operator_parallelism,
                   &deployed.operator_parallelism},
        std::tuple{"--sink-parallelism", options.sink_parallelism, &deployed.sink_parallelism}}) {
    if (!wanted) continue;
    if (*wanted < 1 || *wanted > job.max_parallelism) {
      return Status::InvalidArgument(std::string(flag) + " " + std::to_string(*wanted) +
                                     ": expected 1 .. max_parallelism (" +
                                     std::to_string(job.max_parallelism) + ")");
    }
    *field = *wanted;
  }
  return deployed;
}

Status RunCoordinator(const ClusterConfig& config, const CoordinatorOptions& options) {
  ASSIGN_OR_RETURN(JobConfig job, DeployedJob(config.job, options));
  Coordinator c(config, std::move(job), options.restore_id);
  return c.Run();
}

}  // namespace faultline::runtime
