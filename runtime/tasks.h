#pragma once

#include <memory>

#include "runtime/task.h"

namespace faultline::runtime {

// Constructors of the three task kinds (MakeTask dispatches on the kind).
std::unique_ptr<Task> MakeSourceTask(const TaskId& id, TaskEnv env);
std::unique_ptr<Task> MakeOperatorTask(const TaskId& id, TaskEnv env);
std::unique_ptr<Task> MakeSinkTask(const TaskId& id, TaskEnv env);

}  // namespace faultline::runtime
