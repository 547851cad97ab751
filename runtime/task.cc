#include "runtime/task.h"

#include "runtime/tasks.h"

namespace faultline::runtime {

std::string TaskId::Name() const {
  const char* prefix = kind == TaskKind::kSource     ? "source-"
                       : kind == TaskKind::kOperator ? "operator-"
                                                     : "sink-";
  return prefix + std::to_string(index);
}

std::optional<TaskId> TaskId::Parse(std::string_view name) {
  for (auto [prefix, kind] :
       {std::pair{"source-", TaskKind::kSource}, std::pair{"operator-", TaskKind::kOperator},
        std::pair{"sink-", TaskKind::kSink}}) {
    std::string_view p(prefix);
    if (name.substr(0, p.size()) != p) continue;
    std::string_view digits = name.substr(p.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    return TaskId{kind, std::stoi(std::string(digits))};
  }
  return std::nullopt;
}

std::vector<TaskId> AllTasks(const JobConfig& job) {
  std::vector<TaskId> out;
  for (int i = 0; i < job.source_parallelism; ++i) out.push_back({TaskKind::kSource, i});
  for (int i = 0; i < job.operator_parallelism; ++i) out.push_back({TaskKind::kOperator, i});
  for (int i = 0; i < job.sink_parallelism; ++i) out.push_back({TaskKind::kSink, i});
  return out;
}

std::unique_ptr<Task> MakeTask(const TaskId& id, TaskEnv env) {
  switch (id.kind) {
    case TaskKind::kSource:
      return MakeSourceTask(id, std::move(env));
    case TaskKind::kOperator:
      return MakeOperatorTask(id, std::move(env));
    case TaskKind::kSink:
      return MakeSinkTask(id, std::move(env));
  }
  return nullptr;
}

}  // namespace faultline::runtime
