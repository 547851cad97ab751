#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "systems/node_process.h"
#include "systems/system.h"

namespace faultline::systems {

// NodeSet holds a system's node processes by id, with their roles, in start order: StartAll()
// starts them in that order, StopAll() stops them in reverse (a runtime's workers before its
// coordinator). It is what process faults act on. Not thread-safe: driven from the thread that
// forks the nodes (PDEATHSIG follows the forking thread).
class NodeSet {
 public:
  NodeSet() = default;
  NodeSet(const NodeSet&) = delete;
  NodeSet& operator=(const NodeSet&) = delete;

  // Adds a node (not started). `argv` is the whole command line, already wrapped for the
  // node's network (Network::Command); logs go to `log_dir`/stdout and stderr.
  Status Add(const NodeSpec& spec, std::vector<std::string> argv, std::string log_dir,
             std::vector<std::string> env = {});

  // The node, or nullptr.
  NodeProcess* Find(const std::string& id) const;
  // The node; InvalidArgument naming the known nodes when there is none.
  Result<NodeProcess*> Get(const std::string& id) const;
  const std::vector<NodeSpec>& specs() const { return specs_; }
  std::vector<std::string> ids() const;

  // Starts every node in order; the first failure stops the ones already started.
  Status StartAll();
  // Stops every node in reverse order (SIGTERM to its group, SIGKILL after `grace_ms`).
  void StopAll(int64_t grace_ms = 5000);
  // The first node found ended, with how it ended: for a start that died at once.
  std::optional<std::pair<std::string, ExitInfo>> FirstExited();

 private:
  std::vector<NodeSpec> specs_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
};

// Polls `ready` until it says true. Fails at once when `ready` errs or a node exits first
// (naming the node, how it ended and its stderr), and with Timeout, naming the nodes' logs, at
// the deadline.
Status AwaitNodesReady(NodeSet& nodes, const std::function<Result<bool>()>& ready,
                       Deadline deadline);

}  // namespace faultline::systems
