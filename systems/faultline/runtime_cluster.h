#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mode.h"
#include "base/status.h"
#include "runtime/config.h"
#include "systems/network.h"
#include "systems/node_set.h"
#include "systems/system.h"

namespace faultline::systems {

// Where and what a RuntimeCluster runs.
struct RuntimeClusterOptions {
  std::string data_dir;   // the job's shared files: input/, output/, checkpoints/, offsets/,
                          // and cluster.json, the config every node reads
  std::string nodes_dir;  // <nodes_dir>/<id>/: each node's logs, events.jsonl, local state
  nlohmann::json job = nlohmann::json::object();  // job settings over the defaults; its mode
                                                  // is `mode`
  Mode mode = Mode::kExactlyOnce;
  int workers = 2;
  int slots = 0;               // task slots per worker; 0: enough for every task, plus one
  std::string node_binary;     // faultline-node
  std::string source = "job";  // names the job settings' origin in errors ("s.json: $.job...")
};

// The coordinator's answer to `status`.
struct CoordinatorStatus {
  std::string state;  // "running", "restoring", ...
  int64_t completed = 0;
  int64_t last_completed = 0;
  int64_t attempt = 0;
  nlohmann::json reply;  // the whole reply
};

// RuntimeCluster is the one driver of the built-in runtime (docs/design.md, "The system
// seam"): it writes the cluster's config (listen addresses and links from a Network), runs the
// coordinator and the workers as `faultline-node` processes in a NodeSet, talks to them over
// their admin channel, reads their events, and knows where the job's files are. The harness's
// system, the benchmarks and the runtime's integration tests all drive the runtime through it.
// Every wait is bounded. Not thread-safe: one thread (the one that forks the nodes) drives it.
class RuntimeCluster {
 public:
  // The nodes of a cluster with `workers` workers, in start order: the coordinator, then
  // worker-1..N.
  static std::vector<NodeSpec> NodeSpecs(int workers);

  // Writes the config under options.data_dir. `network` carries the links (worker ->
  // coordinator, worker -> worker); null: a direct network of the cluster's own.
  static Result<std::unique_ptr<RuntimeCluster>> Create(const RuntimeClusterOptions& options,
                                                        Network* network = nullptr);
  ~RuntimeCluster();
  RuntimeCluster(const RuntimeCluster&) = delete;
  RuntimeCluster& operator=(const RuntimeCluster&) = delete;

  // Starts every node, coordinator first.
  Status StartAll() { return nodes_.StartAll(); }
  // Starts one node (again), with extra environment for this start (FAULTLINE_FAILPOINTS=...).
  Status Start(const std::string& id, std::vector<std::string> env = {});
  // Waits until the coordinator reports the job running; fails at once, naming the node and
  // its log, when a node exits first.
  Status AwaitRunning(Deadline deadline);
  void StopAll() { nodes_.StopAll(); }
  // SIGKILL to the node's group, and waits until it is reaped.
  Status Kill(const std::string& id);
  // Rescales the job: stops the coordinator (SIGTERM; it cancels every task) and starts it
  // again deploying at these parallelisms, so that it restores the latest completed checkpoint
  // with the state redistributed by key group. Every later start of the coordinator (after a
  // kill, say) keeps them.
  Status RestartCoordinatorAt(int operator_parallelism, int sink_parallelism);

  NodeSet& nodes() { return nodes_; }
  Result<NodeProcess*> node(const std::string& id) const { return nodes_.Get(id); }

  // The coordinator's status; an error when it does not answer within a second.
  Result<CoordinatorStatus> QueryStatus() const;
  // Whether a transaction of the attempt `status` names holds output not yet committed (or
  // the output directory cannot be read, which tells nothing either): QuiescenceTracker's
  // `output_pending`.
  bool OutputPending(const CoordinatorStatus& status) const;
  // One admin request to `node`; the reply, or an error when it is unreachable or says !ok.
  Result<nlohmann::json> Admin(const std::string& node, const nlohmann::json& request,
                               int64_t timeout_ms) const;
  // Every event of every node so far (a torn last line is skipped).
  std::vector<NodeEvent> ReadEvents() const;

  const runtime::ClusterConfig& config() const { return config_; }
  const std::string& config_path() const { return config_path_; }

 private:
  RuntimeCluster() = default;
  Status Build(const RuntimeClusterOptions& options);
  // The command that runs node `spec`, with `extra` flags, through the network (netns).
  Result<std::vector<std::string>> NodeCommand(const NodeSpec& spec,
                                               const std::vector<std::string>& extra) const;

  std::unique_ptr<Network> own_network_;  // when none was given
  Network* network_ = nullptr;
  runtime::ClusterConfig config_;
  std::string config_path_;
  std::string node_binary_;
  NodeSet nodes_;
};

// QuiescenceTracker decides when a runtime job has delivered all it ever will, so that the
// run is judged only on output that had every chance to commit (docs/design.md, "When a run is
// judged"): no transaction of the running attempt holds output (it would commit at the next
// checkpoint), and then either every expected id is delivered (when ids are expected at all:
// the count job) or the committed output did not grow across `checkpoints` completed
// checkpoints. The count starts at the checkpoint after the last growth (the one completing
// while output grew may commit output the reader has not read yet: the sinks commit on its
// notification) or after the last sight of pending output. A coordinator that does not
// answer, or whose job is not running, restarts the count. Thread-compatible.
class QuiescenceTracker {
 public:
  QuiescenceTracker(int checkpoints, bool expect_every_id)
      : checkpoints_(checkpoints), expect_every_id_(expect_every_id) {}

  // One observation; true once quiescent. `output_pending`: a transaction of the running
  // attempt holds output (runtime::PendingOutputBytes > 0).
  bool Observe(const DeliveryProgress& progress, const std::optional<CoordinatorStatus>& status,
               bool output_pending);

 private:
  int checkpoints_;
  bool expect_every_id_;
  int64_t seen_ = -1;
  int64_t quiet_from_ = -1;  // the checkpoint count from which no growth was seen
};

}  // namespace faultline::systems
