#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/checkpoint_store.h"
#include "runtime/config.h"
#include "runtime/events.h"
#include "runtime/net.h"
#include "runtime/notify_queue.h"

namespace faultline::runtime {

enum class TaskKind { kSource, kOperator, kSink };

// Names a task of the job graph: "source-0", "operator-1", "sink-0".
struct TaskId {
  TaskKind kind;
  int index;
  std::string Name() const;
  static std::optional<TaskId> Parse(std::string_view name);
  bool operator<(const TaskId& o) const { return Name() < o.Name(); }
};

// Every task of the job, in deployment order: sources, operators, sinks.
std::vector<TaskId> AllTasks(const JobConfig& job);

// One deployment of the job: the attempt number fences everything of earlier attempts (a data
// connection of another attempt is refused), the placement says where each task runs, and the
// job's parallelism may differ from the config's (a rescale: docs/design.md, "Rescaling").
struct Deployment {
  int64_t attempt = 0;
  JobConfig job;  // the config's job at the parallelism the coordinator deployed
  std::optional<CheckpointMetadata> restore;     // none: start from scratch
  std::map<std::string, std::string> placement;  // task name -> worker id
};

// Messages from the worker to one of its tasks.
struct TaskMessage {
  enum class Type { kTriggerCheckpoint, kCheckpointComplete, kInputConnection };
  Type type;
  int64_t checkpoint_id = 0;
  std::shared_ptr<FrameConn> conn;  // kInputConnection: HELLO already read
  std::string from_task;
};

// Reports from tasks to their worker, which forwards them to the coordinator.
struct TaskReport {
  enum class Type { kRunning, kAck, kFailed };
  Type type;
  std::string task;
  int64_t attempt = 0;
  int64_t checkpoint_id = 0;
  std::vector<SnapshotFile> files;
  std::string error;
};

// Everything a task needs from its worker. The pointers outlive the task.
struct TaskEnv {
  const ClusterConfig* config;
  std::string worker_id;
  std::shared_ptr<const Deployment> deployment;
  EventLog* events;
  NotifyQueue<TaskMessage>* mailbox;
  NotifyQueue<TaskReport>* reports;
  const std::atomic<bool>* cancel;
};

// A task runs on its own thread until cancelled or failed. Run() returns Aborted on cancel and
// the cause of a failure otherwise; it never throws.
class Task {
 public:
  virtual ~Task() = default;
  virtual Status Run() = 0;
};

std::unique_ptr<Task> MakeTask(const TaskId& id, TaskEnv env);

}  // namespace faultline::runtime
