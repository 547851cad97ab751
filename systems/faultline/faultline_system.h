#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "systems/faultline/runtime_cluster.h"
#include "systems/system.h"

namespace faultline::systems {

// What a scenario says about the built-in runtime (its `cluster` and `job` keys).
struct FaultlineSystemOptions {
  int workers = 2;
  int slots = 4;
  nlohmann::json job = nlohmann::json::object();  // validated by the runtime's config parser
  int quiesce_checkpoints = 3;
  std::string node_binary;  // faultline-node
};

// FaultlineSystem is the built-in runtime behind the System seam (docs/systems/faultline.md):
// a coordinator and N workers driven by a RuntimeCluster. The client appends to the input log
// (a send is ok once the append is fsynced), the reader tails the sink's output directory, and
// quiescence is QuiescenceTracker's. Modes are the runtime's own. It has failpoints and its
// links carry runtime frames. Thread-compatible, driven from the harness's main thread; the
// Client and Reader it opens each run on one thread of their own.
class FaultlineSystem : public System {
 public:
  explicit FaultlineSystem(FaultlineSystemOptions options);
  ~FaultlineSystem() override;

  std::string_view kind() const override { return "faultline"; }
  std::vector<NodeSpec> Nodes() const override;
  std::string job() const override;
  Capabilities capabilities() const override {
    return {.failpoints = true, .runtime_frames = true, .rescale = true};
  }

  Status Setup(const SystemContext& ctx) override;
  NodeSet& nodes() override;
  Result<bool> Ready() override;
  Result<std::unique_ptr<Client>> OpenClient() override;
  Result<std::unique_ptr<Reader>> OpenReader(bool uncommitted) override;
  bool Quiescent(const DeliveryProgress& progress) override;
  std::optional<std::string> Halted() override;

  std::string StatusLine() override;
  Status ArmFailpoint(const std::string& node, const std::string& name,
                      const std::string& spec) override;
  // params: {"operator": N, "sink": M, "max": K}, every member optional: a parallelism not
  // given stays as it is, unless neither is given: then both are drawn from 1..K (default 4),
  // not both as they are, within the workers' slots. Target: the coordinator.
  Status CheckRescale(const std::string& target, const nlohmann::json& params) const override;
  Result<nlohmann::json> Rescale(const std::string& target, const nlohmann::json& params,
                                 Rng rng) override;
  std::vector<NodeEvent> Events() override;
  // The shared job files and every node's own directory (its state, attempt counter, events).
  std::vector<std::string> DurableDirs() const override { return {"data", "nodes"}; }
  std::vector<std::string> DataPaths() const override;
  nlohmann::json MetaFields() const override;

 private:
  FaultlineSystemOptions options_;
  std::string run_dir_;
  std::unique_ptr<RuntimeCluster> cluster_;
  NodeSet no_nodes_;  // before Setup()
  QuiescenceTracker quiescence_;
  std::optional<CoordinatorStatus> last_status_;
  int64_t last_status_ms_ = 0;
  std::optional<std::string> halted_;  // as of the latest Quiescent() poll
  int operator_parallelism_ = 0;       // as deployed since the latest rescale
  int sink_parallelism_ = 0;
};

}  // namespace faultline::systems
