#include "systems/faultline/runtime_cluster.h"

#include <signal.h>

#include "base/file.h"
#include "runtime/control.h"
#include "runtime/events.h"
#include "runtime/sink.h"

namespace faultline::systems {
namespace {

constexpr int64_t kStatusTimeoutMs = 1000;
constexpr int kMaxSlots = 256;  // the runtime config's limit

}  // namespace

std::vector<NodeSpec> RuntimeCluster::NodeSpecs(int workers) {
  std::vector<NodeSpec> specs = {{"coordinator", "coordinator"}};
  for (int i = 1; i <= workers; ++i) specs.push_back({"worker-" + std::to_string(i), "worker"});
  return specs;
}

Result<std::unique_ptr<RuntimeCluster>> RuntimeCluster::Create(const RuntimeClusterOptions& options,
                                                               Network* network) {
  std::unique_ptr<RuntimeCluster> cluster(new RuntimeCluster());
  if (network == nullptr) {
    std::vector<std::string> ids;
    for (const auto& s : NodeSpecs(options.workers)) ids.push_back(s.id);
    ASSIGN_OR_RETURN(cluster->own_network_, Network::Create("direct", ids));
    network = cluster->own_network_.get();
  }
  cluster->network_ = network;
  RETURN_IF_ERROR(cluster->Build(options));
  return cluster;
}

RuntimeCluster::~RuntimeCluster() { StopAll(); }

Status RuntimeCluster::Build(const RuntimeClusterOptions& options) {
  if (options.workers < 1) return Status::InvalidArgument("a runtime cluster needs a worker");
  const std::string& data = options.data_dir;
  nlohmann::json job = options.job;
  job["mode"] = std::string(ModeName(options.mode));
  nlohmann::json config = {
      {"job", job},
      {"storage",
       {{"input", JoinPath(data, "input")},
        {"output", JoinPath(data, "output")},
        {"checkpoints", JoinPath(data, "checkpoints")},
        {"offsets", JoinPath(data, "offsets")}}},
  };
  std::map<std::string, std::string> listen;
  for (const NodeSpec& s : NodeSpecs(options.workers)) {
    ASSIGN_OR_RETURN(listen[s.id], network_->ListenAddress(s.id));
  }
  config["coordinator"] = {{"listen", listen["coordinator"]},
                           {"data_dir", JoinPath(options.nodes_dir, "coordinator")}};
  config["workers"] = nlohmann::json::array();
  for (const NodeSpec& s : NodeSpecs(options.workers)) {
    if (s.role != "worker") continue;
    config["workers"].push_back({{"id", s.id},
                                 {"listen", listen[s.id]},
                                 {"data_dir", JoinPath(options.nodes_dir, s.id)},
                                 {"slots", options.slots > 0 ? options.slots : kMaxSlots}});
  }
  // Errors about the job name its origin and its $.job path.
  ASSIGN_OR_RETURN(config_, runtime::ParseClusterConfig(config.dump(), options.source));
  if (options.slots == 0) {
    // Every task fits with one slot to spare, as `faultline-node example-config` sizes it.
    int per_worker = (config_.job.TotalTasks() + options.workers - 1) / options.workers + 1;
    for (auto& w : config_.workers) w.slots = std::min(per_worker, kMaxSlots);
  }
  // The links the runtime uses: worker -> coordinator (control), worker -> worker (data).
  for (const auto& w : config_.workers) {
    RETURN_IF_ERROR(network_->AddLink(w.id, "coordinator", config_.coordinator.listen));
    for (const auto& other : config_.workers) {
      if (other.id != w.id) RETURN_IF_ERROR(network_->AddLink(w.id, other.id, other.listen));
    }
  }
  RETURN_IF_ERROR(network_->Start());
  for (const auto& w : config_.workers) {
    ASSIGN_OR_RETURN(config_.dial[w.id]["coordinator"], network_->DialAddress(w.id, "coordinator"));
    for (const auto& other : config_.workers) {
      if (other.id == w.id) continue;
      ASSIGN_OR_RETURN(config_.dial[w.id][other.id], network_->DialAddress(w.id, other.id));
    }
  }
  RETURN_IF_ERROR(CreateDirs(data));
  config_path_ = JoinPath(data, "cluster.json");
  RETURN_IF_ERROR(WriteFileAtomic(config_path_, runtime::ClusterConfigToJson(config_)));
  // Read back as every node will, which also checks the slots chosen above.
  ASSIGN_OR_RETURN(config_, runtime::LoadClusterConfig(config_path_));

  node_binary_ = options.node_binary.empty() ? "faultline-node" : options.node_binary;
  for (const NodeSpec& s : NodeSpecs(options.workers)) {
    ASSIGN_OR_RETURN(std::vector<std::string> command, NodeCommand(s, {}));
    RETURN_IF_ERROR(nodes_.Add(s, std::move(command), JoinPath(options.nodes_dir, s.id)));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> RuntimeCluster::NodeCommand(
    const NodeSpec& spec, const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = {node_binary_, spec.role, "--config", config_path_};
  if (spec.role == "worker") argv.insert(argv.end(), {"--id", spec.id});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return network_->Command(spec.id, argv);
}

Status RuntimeCluster::RestartCoordinatorAt(int operator_parallelism, int sink_parallelism) {
  ASSIGN_OR_RETURN(NodeProcess * n, nodes_.Get("coordinator"));
  ASSIGN_OR_RETURN(std::vector<std::string> command,
                   NodeCommand({"coordinator", "coordinator"},
                               {"--operator-parallelism", std::to_string(operator_parallelism),
                                "--sink-parallelism", std::to_string(sink_parallelism)}));
  n->SetArgv(std::move(command));
  if (n->Running()) RETURN_IF_ERROR(n->Stop(5000));
  return n->Start();
}

Status RuntimeCluster::Start(const std::string& id, std::vector<std::string> env) {
  ASSIGN_OR_RETURN(NodeProcess * n, nodes_.Get(id));
  n->SetNextStartEnv(std::move(env));
  return n->Start();
}

Status RuntimeCluster::AwaitRunning(Deadline deadline) {
  return AwaitNodesReady(
      nodes_,
      [&]() -> Result<bool> {
        auto st = QueryStatus();
        return st.ok() && st->state == "running";
      },
      deadline);
}

Status RuntimeCluster::Kill(const std::string& id) {
  ASSIGN_OR_RETURN(NodeProcess * n, nodes_.Get(id));
  RETURN_IF_ERROR(n->Kill());
  if (!n->WaitForExit(Deadline::AfterMillis(5000))) {
    return Status::Timeout(id + " did not die after SIGKILL");
  }
  return Status::Ok();
}

bool RuntimeCluster::OutputPending(const CoordinatorStatus& status) const {
  Result<uint64_t> bytes = runtime::PendingOutputBytes(config_.output_dir, status.attempt);
  return !bytes.ok() || *bytes > 0;
}

Result<nlohmann::json> RuntimeCluster::Admin(const std::string& node, const nlohmann::json& request,
                                             int64_t timeout_ms) const {
  const runtime::NodeConfig* config = config_.FindNode(node);
  if (config == nullptr) return Status::InvalidArgument("no node '" + node + "'");
  Deadline deadline = Deadline::AfterMillis(timeout_ms);
  ASSIGN_OR_RETURN(Fd fd, network_->Dial(node, config->listen, deadline));
  ASSIGN_OR_RETURN(nlohmann::json reply,
                   runtime::AdminCallOn(std::move(fd), config->listen, request, deadline));
  if (reply.contains("ok") && !reply.value("ok", false))
    return Status::Internal(node + ": " + reply.value("error", "admin request failed"));
  return reply;
}

Result<CoordinatorStatus> RuntimeCluster::QueryStatus() const {
  ASSIGN_OR_RETURN(nlohmann::json reply,
                   Admin("coordinator", {{"type", "status"}}, kStatusTimeoutMs));
  CoordinatorStatus st;
  st.state = reply.value("state", "");
  st.completed = reply.value("completed_checkpoints", int64_t{0});
  st.last_completed = reply.value("last_completed_checkpoint", int64_t{0});
  st.attempt = reply.value("attempt", int64_t{0});
  st.reply = std::move(reply);
  return st;
}

std::vector<NodeEvent> RuntimeCluster::ReadEvents() const {
  std::vector<NodeEvent> events;
  std::vector<const runtime::NodeConfig*> nodes = {&config_.coordinator};
  for (const auto& w : config_.workers) nodes.push_back(&w);
  for (const auto* node : nodes) {
    for (nlohmann::json& j : runtime::ReadEventLog(node->data_dir)) {
      NodeEvent e;
      e.mono_ns = j["mono_ns"].get<int64_t>();
      j.erase("mono_ns");
      if (!j.contains("node")) j["node"] = node->id;
      e.fields = std::move(j);
      events.push_back(std::move(e));
    }
  }
  return events;
}

bool QuiescenceTracker::Observe(const DeliveryProgress& progress,
                                const std::optional<CoordinatorStatus>& status,
                                bool output_pending) {
  if (output_pending) {
    quiet_from_ = -1;
    return false;
  }
  if (expect_every_id_ && progress.acknowledged_delivered >= progress.acknowledged) return true;
  if (!status || status->state != "running") {
    quiet_from_ = -1;
    return false;
  }
  if (progress.committed_seen != seen_ || quiet_from_ < 0) {
    seen_ = progress.committed_seen;
    quiet_from_ = status->completed + 1;
    return false;
  }
  return status->completed >= quiet_from_ + checkpoints_;
}

}  // namespace faultline::systems
