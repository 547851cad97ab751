#include "runtime/config.h"

#include <set>

#include "base/file.h"
#include "base/json.h"

namespace faultline::runtime {
namespace {

using Need = JsonObject::Need;
constexpr auto kRequired = Need::kRequired;

Status ParseCheckpoint(JsonObject& o, CheckpointConfig* c) {
  RETURN_IF_ERROR(o.Int("interval_ms", &c->interval_ms, {.min = 10}));
  RETURN_IF_ERROR(o.Int("timeout_ms", &c->timeout_ms, {.min = 10}));
  RETURN_IF_ERROR(o.Int("min_pause_ms", &c->min_pause_ms, {.min = 0}));
  RETURN_IF_ERROR(o.Int("max_concurrent", &c->max_concurrent, {.min = 1, .max = 16}));
  RETURN_IF_ERROR(o.Int("tolerable_failures", &c->tolerable_failures, {.min = 0}));
  RETURN_IF_ERROR(o.Int("retained", &c->retained, {.min = 1}));
  RETURN_IF_ERROR(o.Bool("fallback_on_corrupt", &c->fallback_on_corrupt));
  RETURN_IF_ERROR(o.Bool("incremental", &c->incremental));
  return o.Finish();
}

Status ParseRestart(JsonObject& o, RestartConfig* r) {
  std::string strategy = "fixed-delay";
  RETURN_IF_ERROR(o.Enum("strategy", &strategy, {"fixed-delay", "exponential-delay"}));
  r->strategy = strategy == "fixed-delay" ? RestartConfig::Strategy::kFixedDelay
                                          : RestartConfig::Strategy::kExponentialDelay;
  RETURN_IF_ERROR(o.Int("delay_ms", &r->delay_ms, {.min = 0}));
  RETURN_IF_ERROR(o.Int("max_delay_ms", &r->max_delay_ms, {.min = 0}));
  RETURN_IF_ERROR(o.Double("multiplier", &r->multiplier));
  if (r->multiplier < 1.0) return o.Error("multiplier", "expected a number >= 1");
  RETURN_IF_ERROR(o.Int("max_attempts", &r->max_attempts, {.min = 0}));
  return o.Finish();
}

Status ParseJob(JsonObject& o, JobConfig* job) {
  std::string op = "count", mode = "exactly-once", backend = "memory";
  RETURN_IF_ERROR(o.Enum("operator", &op, {"count", "window-count"}));
  RETURN_IF_ERROR(o.Enum("mode", &mode, ModeNames(), kRequired));
  RETURN_IF_ERROR(o.Enum("state_backend", &backend, {"memory", "rocksdb"}));
  job->op = op == "count" ? OperatorKind::kCount : OperatorKind::kWindowCount;
  job->mode = *ParseMode(mode);
  job->state_backend = backend == "memory" ? StateBackendKind::kMemory : StateBackendKind::kRocksDb;
  RETURN_IF_ERROR(o.Int("partitions", &job->partitions, {.min = 1, .max = 1024}));
  RETURN_IF_ERROR(o.Int("max_parallelism", &job->max_parallelism, {.min = 1, .max = 32768}));
  ASSIGN_OR_RETURN(auto par, o.Object("parallelism"));
  if (par) {
    JsonObject::IntLimits limits{.min = 1, .max = job->max_parallelism};
    RETURN_IF_ERROR(par->Int("source", &job->source_parallelism, limits));
    RETURN_IF_ERROR(par->Int("operator", &job->operator_parallelism, limits));
    RETURN_IF_ERROR(par->Int("sink", &job->sink_parallelism, limits));
    RETURN_IF_ERROR(par->Finish());
  }
  ASSIGN_OR_RETURN(auto window, o.Object("window"));
  if (window) {
    RETURN_IF_ERROR(window->Int("size_ms", &job->window_size_ms, {.min = 1}));
    RETURN_IF_ERROR(window->Int("out_of_orderness_ms", &job->out_of_orderness_ms, {.min = 0}));
    RETURN_IF_ERROR(window->Finish());
  }
  RETURN_IF_ERROR(o.Int("batch_size", &job->batch_size, {.min = 1, .max = 65536}));
  RETURN_IF_ERROR(o.Int("flush_interval_ms", &job->flush_interval_ms, {.min = 0, .max = 10'000}));
  RETURN_IF_ERROR(o.Int("credits", &job->credits, {.min = 1, .max = 4096}));
  ASSIGN_OR_RETURN(auto checkpoint, o.Object("checkpoint"));
  if (checkpoint) RETURN_IF_ERROR(ParseCheckpoint(*checkpoint, &job->checkpoint));
  ASSIGN_OR_RETURN(auto restart, o.Object("restart"));
  if (restart) RETURN_IF_ERROR(ParseRestart(*restart, &job->restart));
  return o.Finish();
}

Status ParseAddress(JsonObject& o, std::string_view key, std::string* out, Need need) {
  RETURN_IF_ERROR(o.String(key, out, need));
  if (!o.Has(key)) return Status::Ok();
  auto colon = out->rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == out->size() ||
      out->find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return o.Error(key, "expected HOST:PORT, got \"" + *out + "\"");
  }
  return Status::Ok();
}

Status ParseNode(JsonObject& o, NodeConfig* node, bool is_worker) {
  if (is_worker) RETURN_IF_ERROR(o.String("id", &node->id, kRequired));
  RETURN_IF_ERROR(ParseAddress(o, "listen", &node->listen, kRequired));
  RETURN_IF_ERROR(o.String("data_dir", &node->data_dir, kRequired));
  if (is_worker) RETURN_IF_ERROR(o.Int("slots", &node->slots, {.min = 1, .max = 256}));
  return o.Finish();
}

}  // namespace

const char* OperatorName(OperatorKind kind) {
  return kind == OperatorKind::kCount ? "count" : "window-count";
}

const NodeConfig* ClusterConfig::FindNode(const std::string& id) const {
  if (id == "coordinator") return &coordinator;
  for (const auto& w : workers) {
    if (w.id == id) return &w;
  }
  return nullptr;
}

std::string ClusterConfig::DialAddress(const std::string& from, const std::string& to) const {
  if (auto f = dial.find(from); f != dial.end()) {
    if (auto t = f->second.find(to); t != f->second.end()) return t->second;
  }
  const NodeConfig* node = FindNode(to);
  return node != nullptr ? node->listen : "";
}

Result<ClusterConfig> ParseClusterConfig(std::string_view text, const std::string& source) {
  ASSIGN_OR_RETURN(nlohmann::json root, ParseJson(text, source));
  ClusterConfig c;
  JsonObject o(root, "$", source);
  ASSIGN_OR_RETURN(auto job, o.Object("job", kRequired));
  RETURN_IF_ERROR(ParseJob(*job, &c.job));

  ASSIGN_OR_RETURN(auto storage, o.Object("storage", kRequired));
  RETURN_IF_ERROR(storage->String("input", &c.input_dir, kRequired));
  RETURN_IF_ERROR(storage->String("output", &c.output_dir, kRequired));
  RETURN_IF_ERROR(storage->String("checkpoints", &c.checkpoint_dir, kRequired));
  RETURN_IF_ERROR(storage->String("offsets", &c.offsets_dir, kRequired));
  RETURN_IF_ERROR(storage->Finish());

  ASSIGN_OR_RETURN(auto coordinator, o.Object("coordinator", kRequired));
  c.coordinator.id = "coordinator";
  RETURN_IF_ERROR(ParseNode(*coordinator, &c.coordinator, false));

  ASSIGN_OR_RETURN(auto workers, o.Array("workers", kRequired));
  if (workers->empty()) return o.Error("workers", "expected at least one worker");
  std::set<std::string> ids;
  int slots = 0;
  for (size_t i = 0; i < workers->size(); ++i) {
    std::string path = o.PathOf("workers") + "[" + std::to_string(i) + "]";
    JsonObject w(*(*workers)[i], path, source);
    NodeConfig node;
    RETURN_IF_ERROR(ParseNode(w, &node, true));
    if (node.id == "coordinator" || !ids.insert(node.id).second) {
      return w.Error("id", "duplicate or reserved node id \"" + node.id + "\"");
    }
    slots += node.slots;
    c.workers.push_back(std::move(node));
  }
  if (slots < c.job.TotalTasks()) {
    return o.Error("workers", "the job has " + std::to_string(c.job.TotalTasks()) +
                                  " tasks but the workers have only " + std::to_string(slots) +
                                  " slots in all");
  }

  ASSIGN_OR_RETURN(auto hb, o.Object("heartbeat"));
  if (hb) {
    RETURN_IF_ERROR(hb->Int("interval_ms", &c.heartbeat_interval_ms, {.min = 10}));
    RETURN_IF_ERROR(hb->Int("timeout_ms", &c.heartbeat_timeout_ms, {.min = 50}));
    RETURN_IF_ERROR(hb->Finish());
  }
  ASSIGN_OR_RETURN(auto dial, o.Object("dial"));
  if (dial) {
    for (const auto& [from, targets] : root["dial"].items()) {
      if (c.FindNode(from) == nullptr) return dial->Error(from, "unknown node id");
      ASSIGN_OR_RETURN(auto to_map, dial->Object(from, kRequired));
      for (const auto& [to, addr] : targets.items()) {
        if (c.FindNode(to) == nullptr) return to_map->Error(to, "unknown node id");
        std::string address;
        RETURN_IF_ERROR(ParseAddress(*to_map, to, &address, kRequired));
        c.dial[from][to] = address;
      }
      RETURN_IF_ERROR(to_map->Finish());
    }
    RETURN_IF_ERROR(dial->Finish());
  }
  RETURN_IF_ERROR(o.Finish());
  return c;
}

Result<ClusterConfig> LoadClusterConfig(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("reading config " + path);
  return ParseClusterConfig(*text, path);
}

std::string ClusterConfigToJson(const ClusterConfig& c) {
  const JobConfig& j = c.job;
  nlohmann::ordered_json job = {
      {"operator", OperatorName(j.op)},
      {"mode", ModeName(j.mode)},
      {"partitions", j.partitions},
      {"parallelism",
       {{"source", j.source_parallelism},
        {"operator", j.operator_parallelism},
        {"sink", j.sink_parallelism}}},
      {"max_parallelism", j.max_parallelism},
      {"state_backend", j.state_backend == StateBackendKind::kMemory ? "memory" : "rocksdb"},
      {"window", {{"size_ms", j.window_size_ms}, {"out_of_orderness_ms", j.out_of_orderness_ms}}},
      {"batch_size", j.batch_size},
      {"flush_interval_ms", j.flush_interval_ms},
      {"credits", j.credits},
      {"checkpoint",
       {{"interval_ms", j.checkpoint.interval_ms},
        {"timeout_ms", j.checkpoint.timeout_ms},
        {"min_pause_ms", j.checkpoint.min_pause_ms},
        {"max_concurrent", j.checkpoint.max_concurrent},
        {"tolerable_failures", j.checkpoint.tolerable_failures},
        {"retained", j.checkpoint.retained},
        {"fallback_on_corrupt", j.checkpoint.fallback_on_corrupt},
        {"incremental", j.checkpoint.incremental}}},
      {"restart",
       {{"strategy", j.restart.strategy == RestartConfig::Strategy::kFixedDelay
                         ? "fixed-delay"
                         : "exponential-delay"},
        {"delay_ms", j.restart.delay_ms},
        {"max_delay_ms", j.restart.max_delay_ms},
        {"multiplier", j.restart.multiplier},
        {"max_attempts", j.restart.max_attempts}}},
  };
  nlohmann::ordered_json workers = nlohmann::ordered_json::array();
  for (const auto& w : c.workers) {
    workers.push_back(
        {{"id", w.id}, {"listen", w.listen}, {"data_dir", w.data_dir}, {"slots", w.slots}});
  }
  nlohmann::ordered_json out = {
      {"job", job},
      {"storage",
       {{"input", c.input_dir},
        {"output", c.output_dir},
        {"checkpoints", c.checkpoint_dir},
        {"offsets", c.offsets_dir}}},
      {"coordinator", {{"listen", c.coordinator.listen}, {"data_dir", c.coordinator.data_dir}}},
      {"workers", workers},
      {"heartbeat",
       {{"interval_ms", c.heartbeat_interval_ms}, {"timeout_ms", c.heartbeat_timeout_ms}}},
  };
  if (!c.dial.empty()) out["dial"] = c.dial;
  return out.dump(2) + "\n";
}

}  // namespace faultline::runtime
