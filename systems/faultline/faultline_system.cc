#include "systems/faultline/faultline_system.h"

#include <algorithm>
#include <tuple>

#include "base/file.h"
#include "base/json.h"
#include "runtime/input_log.h"
#include "runtime/sink.h"

namespace faultline::systems {
namespace {

// Appends to the job's input log. A record is sent once it is appended to its partition and
// fsynced, which is the runtime's own notion of input: every outcome is ok, with the record's
// partition and offset. The input log is the harness's own disk, so a failing write stops the
// run (a Status error) rather than being blamed on the system.
class InputLogClient : public Client {
 public:
  InputLogClient(runtime::InputLogWriter writer, int partitions, bool window_job)
      : writer_(std::move(writer)), partitions_(partitions), window_job_(window_job) {}

  Result<std::vector<SendOutcome>> Send(std::span<const Record> records) override {
    std::vector<SendOutcome> outcomes(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      runtime::InputRecord r;
      r.id = records[i].id;
      r.key = records[i].key;
      r.event_time = records[i].event_time;
      r.value = records[i].value;
      int partition = runtime::PartitionOf(r.id, partitions_);
      ASSIGN_OR_RETURN(uint64_t offset, writer_.Append(r, partition));
      outcomes[i].partition = partition;
      outcomes[i].offset = static_cast<int64_t>(offset);
    }
    RETURN_IF_ERROR(writer_.Sync());
    const int64_t acked = MonotonicNanos();
    for (SendOutcome& o : outcomes) {
      o.status = SendStatus::kOk;
      o.ack_mono_ns = acked;
    }
    return outcomes;
  }

  // A watermark marker on every partition, so that the window job's last windows close.
  Status Finish() override {
    if (!window_job_) return writer_.Sync();
    for (int p = 0; p < partitions_; ++p) {
      runtime::InputRecord m;
      m.kind = runtime::InputRecord::Kind::kWatermark;
      m.event_time = INT64_MAX / 2;
      RETURN_IF_ERROR(writer_.Append(m, p).status());
    }
    return writer_.Sync();
  }

 private:
  runtime::InputLogWriter writer_;
  int partitions_;
  bool window_job_;
};

// Tails the sink's output directory: committed segments and, when asked, pending ones.
class OutputReader : public Reader {
 public:
  OutputReader(std::string output_dir, bool uncommitted)
      : tailer_(std::move(output_dir), uncommitted) {}

  Status Poll(std::vector<Delivery>* out) override {
    entries_.clear();
    retracted_.clear();
    RETURN_IF_ERROR(tailer_.Poll(&entries_, &retracted_));
    for (runtime::OutputRetraction& r : retracted_) {
      Delivery d;
      d.kind = Delivery::Kind::kRetraction;
      d.kept = r.kept;
      d.source = std::move(r.file);
      out->push_back(std::move(d));
    }
    for (runtime::OutputEntry& e : entries_) {
      const runtime::OutputRecord& r = e.record;
      Delivery d;
      d.kind = r.kind == runtime::OutputRecord::Kind::kWindow ? Delivery::Kind::kWindow
                                                              : Delivery::Kind::kRecord;
      d.id = r.id;
      d.key = r.key;
      d.count = r.count;
      d.window_start = r.window_start;
      d.window_end = r.window_end;
      d.committed = e.committed;
      d.source = std::move(e.file);
      out->push_back(std::move(d));
    }
    return Status::Ok();
  }

 private:
  runtime::OutputTailer tailer_;
  std::vector<runtime::OutputEntry> entries_;
  std::vector<runtime::OutputRetraction> retracted_;
};

constexpr int kDefaultRescaleMax = 4;

// A rescale fault's params (FaultlineSystem::CheckRescale).
struct RescaleParams {
  std::optional<int> operator_parallelism;
  std::optional<int> sink_parallelism;
  int max = kDefaultRescaleMax;  // for a drawn parallelism
};

Result<RescaleParams> ParseRescaleParams(const nlohmann::json& params, int max_parallelism) {
  RescaleParams p;
  if (params.is_null() || (params.is_object() && params.empty())) return p;
  JsonObject o(params, "params", "rescale");
  const JsonObject::IntLimits limits{.min = 1, .max = max_parallelism};
  int op = 0, sink = 0;
  RETURN_IF_ERROR(o.Int("operator", &op, limits));
  RETURN_IF_ERROR(o.Int("sink", &sink, limits));
  RETURN_IF_ERROR(o.Int("max", &p.max, limits));
  RETURN_IF_ERROR(o.Finish());
  if (op > 0) p.operator_parallelism = op;
  if (sink > 0) p.sink_parallelism = sink;
  return p;
}

int TotalSlots(const runtime::ClusterConfig& c) {
  int slots = 0;
  for (const auto& w : c.workers) slots += w.slots;
  return slots;
}

// Whether a job at these operator and sink parallelisms fits the workers' task slots.
bool FitsSlots(const runtime::ClusterConfig& c, int operator_parallelism, int sink_parallelism) {
  return c.job.source_parallelism + operator_parallelism + sink_parallelism <= TotalSlots(c);
}

}  // namespace

FaultlineSystem::FaultlineSystem(FaultlineSystemOptions options)
    : options_(std::move(options)),
      quiescence_(options_.quiesce_checkpoints, /*expect_every_id=*/job() == "count") {}

FaultlineSystem::~FaultlineSystem() = default;

std::vector<NodeSpec> FaultlineSystem::Nodes() const {
  return RuntimeCluster::NodeSpecs(options_.workers);
}

std::string FaultlineSystem::job() const { return options_.job.value("operator", "count"); }

Status FaultlineSystem::Setup(const SystemContext& ctx) {
  run_dir_ = ctx.run_dir;
  RuntimeClusterOptions o;
  o.data_dir = JoinPath(ctx.run_dir, "data");
  o.nodes_dir = JoinPath(ctx.run_dir, "nodes");
  o.job = options_.job;
  o.mode = ctx.mode;
  o.workers = options_.workers;
  o.slots = options_.slots;
  o.node_binary = options_.node_binary;
  o.source = ctx.source;
  ASSIGN_OR_RETURN(cluster_, RuntimeCluster::Create(o, ctx.network));
  operator_parallelism_ = cluster_->config().job.operator_parallelism;
  sink_parallelism_ = cluster_->config().job.sink_parallelism;
  return Status::Ok();
}

Status FaultlineSystem::CheckRescale(const std::string& target,
                                     const nlohmann::json& params) const {
  if (target != "coordinator") {
    return Status::InvalidArgument(
        "a rescale restarts the coordinator; its target must be "
        "\"coordinator\", not \"" +
        target + "\"");
  }
  const runtime::ClusterConfig& c = cluster_->config();
  ASSIGN_OR_RETURN(RescaleParams p, ParseRescaleParams(params, c.job.max_parallelism));
  if (!p.operator_parallelism && !p.sink_parallelism) return Status::Ok();  // drawn to fit
  // The one not given stays as it is now (the config's before the first rescale).
  const int op = p.operator_parallelism.value_or(operator_parallelism_);
  const int sink = p.sink_parallelism.value_or(sink_parallelism_);
  if (!FitsSlots(c, op, sink)) {
    return Status::InvalidArgument("rescale to operator " + std::to_string(op) + ", sink " +
                                   std::to_string(sink) + ": with " +
                                   std::to_string(c.job.source_parallelism) +
                                   " sources that is more tasks "
                                   "than the workers' " +
                                   std::to_string(TotalSlots(c)) + " slots (cluster.slots)");
  }
  return Status::Ok();
}

Result<nlohmann::json> FaultlineSystem::Rescale(const std::string& target,
                                                const nlohmann::json& params, Rng rng) {
  RETURN_IF_ERROR(CheckRescale(target, params));
  const runtime::ClusterConfig& c = cluster_->config();
  ASSIGN_OR_RETURN(RescaleParams p, ParseRescaleParams(params, c.job.max_parallelism));
  int op = p.operator_parallelism.value_or(operator_parallelism_);
  int sink = p.sink_parallelism.value_or(sink_parallelism_);
  if (!p.operator_parallelism && !p.sink_parallelism) {
    std::vector<std::pair<int, int>> choices;
    const int max = std::min(p.max, c.job.max_parallelism);
    for (int o = 1; o <= max; ++o) {
      for (int k = 1; k <= max; ++k) {
        bool same = o == operator_parallelism_ && k == sink_parallelism_;
        if (FitsSlots(c, o, k) && !same) choices.emplace_back(o, k);
      }
    }
    if (choices.empty()) {
      return Status::InvalidArgument("no other parallelism up to params.max " +
                                     std::to_string(p.max) + " fits the workers' slots");
    }
    std::tie(op, sink) = choices[rng.Uniform(choices.size())];
  }
  nlohmann::json from = {{"operator", operator_parallelism_}, {"sink", sink_parallelism_}};
  RETURN_IF_ERROR(cluster_->RestartCoordinatorAt(op, sink));
  operator_parallelism_ = op;
  sink_parallelism_ = sink;
  return nlohmann::json{{"from", from}, {"to", {{"operator", op}, {"sink", sink}}}};
}

NodeSet& FaultlineSystem::nodes() { return cluster_ ? cluster_->nodes() : no_nodes_; }

Result<bool> FaultlineSystem::Ready() {
  auto st = cluster_->QueryStatus();
  return st.ok() && st->state == "running";
}

Result<std::unique_ptr<Client>> FaultlineSystem::OpenClient() {
  const runtime::ClusterConfig& c = cluster_->config();
  ASSIGN_OR_RETURN(runtime::InputLogWriter writer,
                   runtime::InputLogWriter::Open(c.input_dir, c.job.partitions));
  return std::unique_ptr<Client>(
      new InputLogClient(std::move(writer), c.job.partitions, job() == "window-count"));
}

Result<std::unique_ptr<Reader>> FaultlineSystem::OpenReader(bool uncommitted) {
  return std::unique_ptr<Reader>(new OutputReader(cluster_->config().output_dir, uncommitted));
}

bool FaultlineSystem::Quiescent(const DeliveryProgress& progress) {
  std::optional<CoordinatorStatus> status;
  if (auto st = cluster_->QueryStatus(); st.ok()) status = std::move(*st);
  halted_.reset();
  if (status && status->state == "failed") {
    halted_ = "the job failed: " + status->reply.value("failure", std::string("(no reason given)"));
  }
  return quiescence_.Observe(progress, status, status && cluster_->OutputPending(*status));
}

std::optional<std::string> FaultlineSystem::Halted() { return halted_; }

std::string FaultlineSystem::StatusLine() {
  // At most one status call a second: the progress line is refreshed far more often.
  if (MonotonicMillis() - last_status_ms_ > 1000) {
    if (auto st = cluster_->QueryStatus(); st.ok()) last_status_ = std::move(*st);
    last_status_ms_ = MonotonicMillis();
  }
  return "chk " + std::to_string(last_status_ ? last_status_->last_completed : 0);
}

Status FaultlineSystem::ArmFailpoint(const std::string& node, const std::string& name,
                                     const std::string& spec) {
  return cluster_->Admin(node, {{"type", "failpoint"}, {"name", name}, {"spec", spec}}, 2000)
      .status();
}

std::vector<NodeEvent> FaultlineSystem::Events() { return cluster_->ReadEvents(); }

std::vector<std::string> FaultlineSystem::DataPaths() const {
  std::vector<std::string> paths = {JoinPath(run_dir_, "data")};
  for (const NodeSpec& n : Nodes()) paths.push_back(JoinPath(run_dir_, "nodes/" + n.id + "/state"));
  return paths;
}

nlohmann::json FaultlineSystem::MetaFields() const { return {{"workers", options_.workers}}; }

}  // namespace faultline::systems
