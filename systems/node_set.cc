#include "systems/node_set.h"

#include "base/file.h"

namespace faultline::systems {

Status NodeSet::Add(const NodeSpec& spec, std::vector<std::string> argv, std::string log_dir,
                    std::vector<std::string> env) {
  if (spec.id.empty()) return Status::InvalidArgument("a node needs an id");
  if (argv.empty()) return Status::InvalidArgument("node " + spec.id + " has no command");
  if (nodes_.count(spec.id) != 0) return Status::AlreadyExists("node " + spec.id + " added twice");
  specs_.push_back(spec);
  nodes_[spec.id] =
      std::make_unique<NodeProcess>(spec.id, std::move(argv), std::move(log_dir), std::move(env));
  return Status::Ok();
}

NodeProcess* NodeSet::Find(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : it->second.get();
}

Result<NodeProcess*> NodeSet::Get(const std::string& id) const {
  if (NodeProcess* n = Find(id)) return n;
  std::string known;
  for (const auto& s : specs_) known += (known.empty() ? "" : ", ") + s.id;
  return Status::InvalidArgument("no node '" + id + "' (the nodes are " + known + ")");
}

std::vector<std::string> NodeSet::ids() const {
  std::vector<std::string> out;
  for (const auto& s : specs_) out.push_back(s.id);
  return out;
}

Status NodeSet::StartAll() {
  for (const auto& s : specs_) {
    Status started = nodes_.at(s.id)->Start();
    if (!started.ok()) {
      StopAll();
      return started;
    }
  }
  return Status::Ok();
}

void NodeSet::StopAll(int64_t grace_ms) {
  for (auto it = specs_.rbegin(); it != specs_.rend(); ++it)
    (void)nodes_.at(it->id)->Stop(grace_ms);
}

std::optional<std::pair<std::string, ExitInfo>> NodeSet::FirstExited() {
  for (const auto& s : specs_) {
    NodeProcess& n = *nodes_.at(s.id);
    if (n.starts() > 0 && !n.Running() && n.last_exit())
      return std::make_pair(s.id, *n.last_exit());
  }
  return std::nullopt;
}

Status AwaitNodesReady(NodeSet& nodes, const std::function<Result<bool>()>& ready,
                       Deadline deadline) {
  const int64_t timeout_ms = deadline.RemainingMillis();
  Status failed;
  bool up = PollUntil(
      [&] {
        if (auto exited = nodes.FirstExited()) {
          NodeProcess* n = nodes.Find(exited->first);
          failed = Status::Unavailable("node " + exited->first + " " + exited->second.ToString() +
                                       " while the system was starting; see " +
                                       JoinPath(n->log_dir(), "stderr"));
          return true;
        }
        Result<bool> r = ready();
        if (!r.ok()) failed = r.status();
        return !r.ok() || *r;
      },
      deadline, 50);
  if (!failed.ok()) return failed;
  if (up) return Status::Ok();
  std::string logs;
  for (const auto& spec : nodes.specs())
    logs += (logs.empty() ? "" : ", ") + nodes.Find(spec.id)->log_dir();
  return Status::Timeout("the system was not ready within " + std::to_string(timeout_ms / 1000) +
                         " s; see the logs in " + logs);
}

}  // namespace faultline::systems
