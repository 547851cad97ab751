#include "runtime/worker.h"

#include <poll.h>

#include <map>
#include <memory>
#include <thread>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/logging.h"
#include "runtime/control.h"
#include "runtime/events.h"
#include "runtime/stop_signal.h"
#include "runtime/task.h"

namespace faultline::runtime {
namespace {

// One running task: its thread, its mailbox and the result it ended with.
struct RunningTask {
  std::string name;
  NotifyQueue<TaskMessage> mailbox;
  std::thread thread;
};

class Worker {
 public:
  Worker(const ClusterConfig& config, std::string id)
      : config_(config), id_(std::move(id)), self_(config.FindNode(id_)) {}

  Status Run() {
    RETURN_IF_ERROR(CreateDirs(self_->data_dir));
    RETURN_IF_ERROR(events_.Open(JoinPath(self_->data_dir, "events.jsonl"), id_));
    ASSIGN_OR_RETURN(Socket listener, Listen(self_->listen));
    intake_ = std::make_unique<ConnectionIntake>(std::move(listener));
    events_.Emit("worker-started", {{"listen", self_->listen}});
    FL_LOG(Info) << "listening on " << self_->listen;
    while (!StopRequested()) {
      if (control_ == nullptr && MonotonicMillis() >= next_connect_ms_) ConnectCoordinator();
      PollOnce();
      HandleHellos();
      HandleControl();
      HandleReports();
      Heartbeat();
    }
    CancelTasks("stopping");
    events_.Emit("worker-stopped");
    return Status::Ok();
  }

 private:
  void ConnectCoordinator() {
    std::string address = config_.DialAddress(id_, "coordinator");
    auto sock = Connect(address, Deadline::AfterMillis(1000));
    if (!sock.ok()) {
      next_connect_ms_ = MonotonicMillis() + 200;
      return;
    }
    control_ = std::make_unique<FrameConn>(std::move(*sock), "coordinator");
    control_->QueueFrame(FrameType::kHello,
                         nlohmann::json{{"kind", "worker"}, {"worker", id_}}.dump());
    control_->Queue(ControlFrame({{"type", "register"}, {"worker", id_}, {"slots", self_->slots}}));
    last_heard_ms_ = MonotonicMillis();
    FL_LOG(Info) << "connected to coordinator at " << address;
  }

  void DropCoordinator(const std::string& why) {
    FL_LOG(Warning) << "lost the coordinator: " << why;
    events_.Emit("coordinator-lost", {{"reason", why}});
    control_.reset();
    next_connect_ms_ = MonotonicMillis() + 200;
    // Fencing: tasks of an attempt the coordinator may already have replaced must stop.
    CancelTasks("coordinator lost");
  }

  void PollOnce() {
    std::vector<pollfd> fds;
    intake_->AddPollFds(&fds);
    fds.push_back({reports_.fd(), POLLIN, 0});
    if (control_) {
      short ev = POLLIN;
      if (control_->WantsWrite()) ev |= POLLOUT;
      fds.push_back({control_->fd(), ev, 0});
    }
    ::poll(fds.data(), fds.size(), 20);
  }

  void HandleHellos() {
    auto status = [&](const nlohmann::json& r) { return StatusReply(r); };
    for (auto& [conn, hello] : intake_->Poll(status)) {
      if (hello.value("kind", "") != "data") continue;
      int64_t attempt = hello.value("attempt", int64_t{-1});
      std::string to = hello.value("to", "");
      auto task = tasks_.find(to);
      if (deployment_ == nullptr || attempt != deployment_->attempt || task == tasks_.end()) {
        continue;  // a connection of another attempt: refused (closed)
      }
      TaskMessage m{TaskMessage::Type::kInputConnection, 0, conn, hello.value("from", "")};
      task->second->mailbox.Push(std::move(m));
    }
  }

  nlohmann::json StatusReply(const nlohmann::json& request) {
    if (request.value("type", "") != "status") return nullptr;
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto& [name, t] : tasks_) tasks.push_back(name);
    return {{"ok", true},
            {"worker", id_},
            {"connected", control_ != nullptr},
            {"attempt", deployment_ ? deployment_->attempt : -1},
            {"tasks", tasks}};
  }

  void HandleControl() {
    if (control_ == nullptr) return;
    Status s = control_->ReadAvailable();
    while (s.ok()) {
      auto frame = control_->NextFrame();
      if (!frame.ok()) {
        s = frame.status();
        break;
      }
      if (!frame->has_value()) break;
      last_heard_ms_ = MonotonicMillis();
      auto msg = ParseControlFrame(**frame);
      if (!msg.ok()) {
        s = msg.status();
        break;
      }
      OnControl(*msg);
      if (control_ == nullptr) return;
    }
    if (s.ok()) s = control_->FlushSome();
    if (!s.ok()) {
      DropCoordinator(s.ToString());
      return;
    }
    if (MonotonicMillis() - last_heard_ms_ > config_.heartbeat_timeout_ms) {
      DropCoordinator("no heartbeat for " + std::to_string(config_.heartbeat_timeout_ms) + " ms");
    }
  }

  void OnControl(const nlohmann::json& msg) {
    std::string type = msg.value("type", "");
    int64_t attempt = msg.value("attempt", int64_t{-1});
    if (type == "deploy") {
      Deploy(msg);
    } else if (type == "cancel") {
      CancelTasks("cancelled by the coordinator");
      Send({{"type", "cancelled"}, {"attempt", attempt}});
    } else if (type == "trigger" || type == "complete") {
      if (deployment_ == nullptr || attempt != deployment_->attempt) return;
      auto mtype = type == "trigger" ? TaskMessage::Type::kTriggerCheckpoint
                                     : TaskMessage::Type::kCheckpointComplete;
      for (auto& [name, t] : tasks_) {
        if (mtype == TaskMessage::Type::kTriggerCheckpoint && name.rfind("source-", 0) != 0)
          continue;
        t->mailbox.Push({mtype, msg.value("checkpoint", int64_t{0}), nullptr, ""});
      }
    } else if (type == "failpoint" || type == "failpoints-off") {
      HandleAdminRequest(msg, nullptr);
    }
  }

  void Deploy(const nlohmann::json& msg) {
    CancelTasks("redeploy");
    auto d = std::make_shared<Deployment>();
    d->attempt = msg.value("attempt", int64_t{0});
    d->job = config_.job;
    if (msg.contains("parallelism") && msg["parallelism"].is_object()) {
      const nlohmann::json& p = msg["parallelism"];
      d->job.source_parallelism = p.value("source", d->job.source_parallelism);
      d->job.operator_parallelism = p.value("operator", d->job.operator_parallelism);
      d->job.sink_parallelism = p.value("sink", d->job.sink_parallelism);
    }
    for (auto& [task, worker] : msg["placement"].items())
      d->placement[task] = worker.get<std::string>();
    if (msg.contains("restore") && msg["restore"].is_number_integer()) {
      CheckpointStore store(config_.checkpoint_dir);
      auto meta = store.ReadMetadata(msg["restore"].get<int64_t>());
      if (!meta.ok()) {
        Send({{"type", "task-failed"},
              {"attempt", d->attempt},
              {"task", "*"},
              {"error", meta.status().ToString()}});
        return;
      }
      d->restore = std::move(*meta);
    }
    deployment_ = d;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    for (const auto& [task_name, worker] : d->placement) {
      if (worker != id_) continue;
      auto tid = TaskId::Parse(task_name);
      if (!tid) continue;
      auto rt = std::make_unique<RunningTask>();
      rt->name = task_name;
      RunningTask* raw = rt.get();
      tasks_[task_name] = std::move(rt);
      TaskEnv env{&config_, id_, d, &events_, &raw->mailbox, &reports_, cancel_.get()};
      std::shared_ptr<std::atomic<bool>> cancel = cancel_;
      raw->thread = std::thread([this, tid = *tid, env, cancel, attempt = d->attempt]() mutable {
        std::unique_ptr<Task> task = MakeTask(tid, env);
        Status s = task->Run();
        if (!cancel->load()) {
          reports_.Push({TaskReport::Type::kFailed, tid.Name(), attempt, 0, {}, s.ToString()});
        }
      });
      events_.Emit("task-deployed", {{"task", task_name},
                                     {"attempt", d->attempt},
                                     {"restore", msg.value("restore", nlohmann::json())}});
    }
  }

  void CancelTasks(const std::string& why) {
    if (tasks_.empty()) return;
    cancel_->store(true);
    for (auto& [name, t] : tasks_) {
      if (t->thread.joinable()) t->thread.join();
    }
    events_.Emit("tasks-cancelled", {{"attempt", deployment_ ? deployment_->attempt : -1},
                                     {"count", tasks_.size()},
                                     {"reason", why}});
    tasks_.clear();
    deployment_.reset();
  }

  void HandleReports() {
    for (TaskReport& r : reports_.Drain()) {
      if (deployment_ == nullptr || r.attempt != deployment_->attempt) continue;
      if (r.type == TaskReport::Type::kFailed) {
        FL_LOG(Error) << r.task << " failed: " << r.error;
        events_.Emit("task-failed", {{"task", r.task}, {"attempt", r.attempt}, {"error", r.error}});
        Send({{"type", "task-failed"},
              {"attempt", r.attempt},
              {"task", r.task},
              {"error", r.error}});
      } else if (r.type == TaskReport::Type::kRunning) {
        Send({{"type", "running"}, {"attempt", r.attempt}, {"task", r.task}});
      } else {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : r.files) files.push_back(SnapshotFileJson(f));
        Send({{"type", "ack"},
              {"attempt", r.attempt},
              {"task", r.task},
              {"checkpoint", r.checkpoint_id},
              {"files", files}});
      }
    }
  }

  void Heartbeat() {
    if (control_ == nullptr ||
        MonotonicMillis() - last_sent_heartbeat_ms_ < config_.heartbeat_interval_ms) {
      return;
    }
    last_sent_heartbeat_ms_ = MonotonicMillis();
    if (!failpoint::Check("worker.heartbeat").ok()) return;  // error(e): skip this heartbeat
    Send({{"type", "heartbeat"}});
  }

  void Send(const nlohmann::json& msg) {
    if (control_ == nullptr) return;
    control_->Queue(ControlFrame(msg));
    Status s = control_->FlushSome();
    if (!s.ok()) DropCoordinator(s.ToString());
  }

  const ClusterConfig& config_;
  std::string id_;
  const NodeConfig* self_;
  EventLog events_;
  std::unique_ptr<ConnectionIntake> intake_;
  std::unique_ptr<FrameConn> control_;
  int64_t next_connect_ms_ = 0;
  int64_t last_heard_ms_ = 0;
  int64_t last_sent_heartbeat_ms_ = 0;
  std::shared_ptr<const Deployment> deployment_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::map<std::string, std::unique_ptr<RunningTask>> tasks_;
  NotifyQueue<TaskReport> reports_;
};

}  // namespace

Status RunWorker(const ClusterConfig& config, const std::string& worker_id) {
  if (config.FindNode(worker_id) == nullptr || worker_id == "coordinator") {
    return Status::InvalidArgument("no worker '" + worker_id + "' in the config");
  }
  Worker worker(config, worker_id);
  return worker.Run();
}

}  // namespace faultline::runtime
