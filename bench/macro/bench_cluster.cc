#include "bench/macro/bench_cluster.h"

#include "base/clock.h"
#include "base/file.h"
#include "base/rng.h"
#include "runtime/control.h"
#include "runtime/events.h"
#include "runtime/input_log.h"
#include "runtime/net.h"

namespace faultline::bench {

Result<nlohmann::json> CoordinatorStatus(const runtime::ClusterConfig& config) {
  return runtime::AdminCall(config.coordinator.listen, {{"type", "status"}}, 1000);
}

Result<std::unique_ptr<BenchCluster>> BenchCluster::Create(const std::string& dir,
                                                           const ClusterSpec& spec,
                                                           const std::string& node_binary) {
  if (PathExists(dir)) return Status::InvalidArgument(dir + " already exists");
  RETURN_IF_ERROR(CreateDirs(dir));
  runtime::ClusterConfig c;
  c.job.mode = spec.mode;
  c.job.state_backend = spec.backend;
  c.job.checkpoint.interval_ms = spec.checkpoint_interval_ms;
  c.input_dir = JoinPath(dir, "input");
  c.output_dir = JoinPath(dir, "output");
  c.checkpoint_dir = JoinPath(dir, "checkpoints");
  c.offsets_dir = JoinPath(dir, "offsets");
  ASSIGN_OR_RETURN(int port, runtime::PickFreePort());
  c.coordinator = {"coordinator", "127.0.0.1:" + std::to_string(port), JoinPath(dir, "coordinator"),
                   0};
  // As `faultline-node example-config`: enough slots that every task fits with one spare.
  int slots = (c.job.TotalTasks() + spec.workers - 1) / spec.workers + 1;
  for (int i = 1; i <= spec.workers; ++i) {
    ASSIGN_OR_RETURN(int p, runtime::PickFreePort());
    std::string id = "worker-" + std::to_string(i);
    c.workers.push_back({id, "127.0.0.1:" + std::to_string(p), JoinPath(dir, id), slots});
  }
  std::string path = JoinPath(dir, "cluster.json");
  RETURN_IF_ERROR(WriteFileAtomic(path, runtime::ClusterConfigToJson(c)));
  // Round-trip through the parser, as every node will.
  ASSIGN_OR_RETURN(runtime::ClusterConfig parsed, runtime::LoadClusterConfig(path));
  return std::unique_ptr<BenchCluster>(new BenchCluster(dir, std::move(parsed), path, node_binary));
}

BenchCluster::BenchCluster(std::string dir, runtime::ClusterConfig config, std::string config_path,
                           std::string node_binary)
    : dir_(std::move(dir)),
      config_(std::move(config)),
      config_path_(std::move(config_path)),
      node_binary_(std::move(node_binary)) {
  nodes_["coordinator"] = std::make_unique<harness::NodeProcess>(
      "coordinator",
      std::vector<std::string>{node_binary_, "coordinator", "--config", config_path_},
      config_.coordinator.data_dir);
  for (const auto& w : config_.workers) {
    nodes_[w.id] = std::make_unique<harness::NodeProcess>(
        w.id,
        std::vector<std::string>{node_binary_, "worker", "--config", config_path_, "--id", w.id},
        w.data_dir);
  }
  tailer_ = std::make_unique<runtime::OutputTailer>(config_.output_dir, false);
}

BenchCluster::~BenchCluster() { Stop(); }

Status BenchCluster::Preload(uint64_t first_id, int64_t count, int64_t keys, uint64_t seed) {
  ASSIGN_OR_RETURN(runtime::InputLogWriter writer,
                   runtime::InputLogWriter::Open(config_.input_dir, config_.job.partitions));
  Rng rng(seed);
  const int64_t now = WallMillis();
  for (int64_t i = 0; i < count; ++i) {
    runtime::InputRecord r;
    r.id = first_id + static_cast<uint64_t>(i);
    r.key = "k" + std::to_string(rng.Uniform(static_cast<uint64_t>(keys)));
    r.event_time = now;
    RETURN_IF_ERROR(writer.Append(r, runtime::PartitionOf(r.id, config_.job.partitions)).status());
  }
  return writer.Sync();
}

Status BenchCluster::Start(int64_t timeout_ms) {
  RETURN_IF_ERROR(nodes_["coordinator"]->Start());
  for (const auto& w : config_.workers) RETURN_IF_ERROR(nodes_[w.id]->Start());
  bool up = PollUntil(
      [&] {
        auto st = CoordinatorStatus(config_);
        return st.ok() && st->value("state", "") == "running";
      },
      Deadline::AfterMillis(timeout_ms), 20);
  if (!up) {
    return Status::Timeout("the cluster in " + dir_ + " did not start within " +
                           std::to_string(timeout_ms / 1000) + " s");
  }
  return Status::Ok();
}

void BenchCluster::Stop() {
  for (auto& [id, n] : nodes_) {
    if (id != "coordinator") (void)n->Stop(5000);
  }
  if (nodes_.count("coordinator")) (void)nodes_["coordinator"]->Stop(5000);
}

Status BenchCluster::KillWorker(int index) {
  auto it = nodes_.find("worker-" + std::to_string(index));
  if (it == nodes_.end()) return Status::InvalidArgument("no worker-" + std::to_string(index));
  RETURN_IF_ERROR(it->second->Kill());
  if (!PollUntil([&] { return !it->second->Running(); }, Deadline::AfterMillis(5000), 5)) {
    return Status::Timeout(it->first + " did not die after SIGKILL");
  }
  return Status::Ok();
}

Status BenchCluster::RestartWorker(int index) {
  auto it = nodes_.find("worker-" + std::to_string(index));
  if (it == nodes_.end()) return Status::InvalidArgument("no worker-" + std::to_string(index));
  return it->second->Start();
}

Status BenchCluster::PauseWorker(int index) {
  auto it = nodes_.find("worker-" + std::to_string(index));
  if (it == nodes_.end()) return Status::InvalidArgument("no worker-" + std::to_string(index));
  return it->second->Pause();
}

Status BenchCluster::ResumeWorker(int index) {
  auto it = nodes_.find("worker-" + std::to_string(index));
  if (it == nodes_.end()) return Status::InvalidArgument("no worker-" + std::to_string(index));
  return it->second->Resume();
}

Status BenchCluster::PollCommitted(std::vector<runtime::OutputEntry>* out) {
  return tailer_->Poll(out);
}

std::vector<NodeEvent> BenchCluster::ReadEvents() const {
  std::vector<NodeEvent> events;
  std::vector<const runtime::NodeConfig*> nodes = {&config_.coordinator};
  for (const auto& w : config_.workers) nodes.push_back(&w);
  for (const auto* node : nodes) {
    for (nlohmann::json& j : runtime::ReadEventLog(node->data_dir)) {
      NodeEvent e;
      e.mono_ns = j.value("mono_ns", int64_t{0});
      e.node = j.value("node", node->id);
      e.event = j.value("event", "");
      e.fields = std::move(j);
      events.push_back(std::move(e));
    }
  }
  return events;
}

}  // namespace faultline::bench
