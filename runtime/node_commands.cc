#include "runtime/node_commands.h"

#include <cstdio>
#include <iostream>

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/file.h"
#include "base/flags.h"
#include "base/logging.h"
#include "base/rng.h"
#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/coordinator.h"
#include "runtime/input_log.h"
#include "runtime/net.h"
#include "runtime/sink.h"
#include "runtime/stop_signal.h"
#include "runtime/worker.h"

namespace faultline::runtime {
namespace {

int Fail(const std::string& what, const Status& s, int code) {
  std::fprintf(stderr, "faultline-node %s: %s\n", what.c_str(), s.ToString().c_str());
  return code;
}

// Parses flags and loads --config; on error prints it and returns the exit code in *exit.
std::optional<ClusterConfig> ParseWithConfig(const std::string& cmd, Flags& flags,
                                             const std::vector<std::string>& args, int* exit) {
  flags.Value("config");
  Status s = flags.Parse(args);
  if (!s.ok()) {
    *exit = Fail(cmd, s, 2);
    return std::nullopt;
  }
  auto path = flags.Get("config");
  if (!path) {
    *exit = Fail(cmd, Status::InvalidArgument("--config FILE is required"), 2);
    return std::nullopt;
  }
  auto config = LoadClusterConfig(*path);
  if (!config.ok()) {
    *exit = Fail(cmd, config.status(), 2);
    return std::nullopt;
  }
  return std::move(*config);
}

// Common start of the two long-running node processes.
Status StartNode(const std::string& tag) {
  SetLogTag(tag);
  InstallStopHandlers();
  return failpoint::ArmFromEnv();
}

}  // namespace

int CoordinatorCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("restore").Value("operator-parallelism").Value("sink-parallelism");
  int exit = 0;
  auto config = ParseWithConfig("coordinator", flags, args, &exit);
  if (!config) return exit;
  CoordinatorOptions options;
  for (auto [flag, field] : {std::pair{"operator-parallelism", &options.operator_parallelism},
                             std::pair{"sink-parallelism", &options.sink_parallelism}}) {
    auto v = flags.GetInt(flag);
    if (!v.ok()) return Fail("coordinator", v.status(), 2);
    if (*v) *field = static_cast<int>(**v);
  }
  if (Status s = DeployedJob(config->job, options).status(); !s.ok()) {
    return Fail("coordinator", s, 2);
  }
  std::optional<int64_t> restore;
  if (auto r = flags.Get("restore")) {
    std::string id = r->rfind("chk-", 0) == 0 ? r->substr(4) : *r;
    char* end = nullptr;
    long long v = std::strtoll(id.c_str(), &end, 10);
    if (id.empty() || *end != '\0' || v <= 0) {
      return Fail("coordinator",
                  Status::InvalidArgument("--restore expects chk-N, got '" + *r + "'"), 2);
    }
    restore = v;
  }
  if (Status s = StartNode("coordinator"); !s.ok()) return Fail("coordinator", s, 2);
  options.restore_id = restore;
  Status s = RunCoordinator(*config, options);
  if (!s.ok()) return Fail("coordinator", s, 1);
  return 0;
}

int WorkerCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("id");
  int exit = 0;
  auto config = ParseWithConfig("worker", flags, args, &exit);
  if (!config) return exit;
  auto id = flags.Get("id");
  if (!id) return Fail("worker", Status::InvalidArgument("--id ID is required"), 2);
  if (config->FindNode(*id) == nullptr || *id == "coordinator") {
    return Fail("worker", Status::InvalidArgument("no worker '" + *id + "' in $.workers"), 2);
  }
  if (Status s = StartNode(*id); !s.ok()) return Fail("worker", s, 2);
  Status s = RunWorker(*config, *id);
  if (!s.ok()) return Fail("worker", s, 1);
  return 0;
}

int ExampleConfigCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("workers").Value("mode").Value("dir").Value("backend").Value("job").Value("slots");
  if (Status s = flags.Parse(args); !s.ok()) return Fail("example-config", s, 2);
  auto workers = flags.GetInt("workers");
  auto slots = flags.GetInt("slots");
  if (!workers.ok()) return Fail("example-config", workers.status(), 2);
  if (!slots.ok()) return Fail("example-config", slots.status(), 2);
  auto dir = flags.Get("dir");
  if (!dir) return Fail("example-config", Status::InvalidArgument("--dir DIR is required"), 2);
  std::string abs_dir = *dir;
  if (abs_dir.empty() || abs_dir[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof(cwd)) != nullptr) abs_dir = JoinPath(cwd, abs_dir);
  }
  ClusterConfig c;
  std::string mode_name = flags.GetOr("mode", "exactly-once");
  std::optional<Mode> mode = ParseMode(mode_name);
  if (!mode) {
    return Fail("example-config",
                Status::InvalidArgument("unknown mode '" + mode_name +
                                        "' (expected at-most-once, at-least-once or exactly-once)"),
                2);
  }
  c.job.mode = *mode;
  std::string backend = flags.GetOr("backend", "memory");
  if (backend != "memory" && backend != "rocksdb") {
    return Fail("example-config", Status::InvalidArgument("--backend expects memory or rocksdb"),
                2);
  }
  c.job.state_backend =
      backend == "memory" ? StateBackendKind::kMemory : StateBackendKind::kRocksDb;
  std::string job = flags.GetOr("job", "count");
  if (job != "count" && job != "window-count") {
    return Fail("example-config", Status::InvalidArgument("--job expects count or window-count"),
                2);
  }
  c.job.op = job == "count" ? OperatorKind::kCount : OperatorKind::kWindowCount;
  c.input_dir = JoinPath(abs_dir, "input");
  c.output_dir = JoinPath(abs_dir, "output");
  c.checkpoint_dir = JoinPath(abs_dir, "checkpoints");
  c.offsets_dir = JoinPath(abs_dir, "offsets");
  auto port = PickFreePort();
  if (!port.ok()) return Fail("example-config", port.status(), 1);
  c.coordinator = {"coordinator", "127.0.0.1:" + std::to_string(*port),
                   JoinPath(abs_dir, "coordinator"), 0};
  int n = static_cast<int>(workers->value_or(2));
  if (n < 1) return Fail("example-config", Status::InvalidArgument("--workers must be >= 1"), 2);
  int per_worker = static_cast<int>(slots->value_or((c.job.TotalTasks() + n - 1) / n + 1));
  for (int i = 1; i <= n; ++i) {
    auto p = PickFreePort();
    if (!p.ok()) return Fail("example-config", p.status(), 1);
    std::string id = "worker-" + std::to_string(i);
    c.workers.push_back({id, "127.0.0.1:" + std::to_string(*p), JoinPath(abs_dir, id), per_worker});
  }
  std::fputs(ClusterConfigToJson(c).c_str(), stdout);
  return 0;
}

int ProduceCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("count")
      .Value("keys")
      .Value("rate")
      .Value("start-id")
      .Value("seed")
      .Switch("final-watermark");
  int exit = 0;
  auto config = ParseWithConfig("produce", flags, args, &exit);
  if (!config) return exit;
  auto count = flags.GetInt("count");
  auto keys = flags.GetInt("keys");
  auto rate = flags.GetInt("rate");
  auto start = flags.GetInt("start-id");
  auto seed_flag = flags.GetInt("seed");
  for (const auto* r : {&count, &keys, &rate, &start, &seed_flag}) {
    if (!r->ok()) return Fail("produce", r->status(), 2);
  }
  int partitions = config->job.partitions;
  auto writer = InputLogWriter::Open(config->input_dir, partitions);
  if (!writer.ok()) return Fail("produce", writer.status(), 1);
  uint64_t next_id = 0;
  if (start->has_value()) {
    next_id = static_cast<uint64_t>(**start);
  } else {  // continue after the highest id already in the log
    for (int p = 0; p < partitions; ++p) {
      auto scan = ReadLog(InputPartitionPath(config->input_dir, p));
      if (!scan.ok()) continue;
      for (const auto& rec : scan->records) {
        auto r = DecodeInputRecord(rec.payload);
        if (r.ok() && r->kind == InputRecord::Kind::kData) next_id = std::max(next_id, r->id + 1);
      }
    }
  }
  uint64_t seed =
      ChooseSeed(seed_flag->has_value() ? std::optional<uint64_t>(**seed_flag) : std::nullopt);
  Rng rng(seed);
  int64_t n = count->value_or(0);
  int64_t nkeys = std::max<int64_t>(1, keys->value_or(100));
  int64_t per_sec = rate->value_or(0);
  Stopwatch clock;
  uint64_t first = next_id;
  for (int64_t i = 0; i < n; ++i) {
    if (per_sec > 0) {
      int64_t due_ms = i * 1000 / per_sec;
      if (due_ms > clock.ElapsedMillis()) SleepMillis(due_ms - clock.ElapsedMillis());
    }
    InputRecord r;
    r.id = next_id++;
    r.key = "k" + std::to_string(rng.Uniform(static_cast<uint64_t>(nkeys)));
    r.event_time = WallMillis();
    if (auto s = writer->Append(r, PartitionOf(r.id, partitions)); !s.ok())
      return Fail("produce", s.status(), 1);
    if ((i + 1) % 1000 == 0) {
      if (Status s = writer->Sync(); !s.ok()) return Fail("produce", s, 1);
    }
  }
  if (flags.Has("final-watermark")) {  // lets every last window close
    for (int p = 0; p < partitions; ++p) {
      InputRecord m;
      m.kind = InputRecord::Kind::kWatermark;
      m.event_time = INT64_MAX / 2;
      if (auto s = writer->Append(m, p); !s.ok()) return Fail("produce", s.status(), 1);
    }
  }
  if (Status s = writer->Sync(); !s.ok()) return Fail("produce", s, 1);
  std::printf("appended %lld records (ids %llu..%llu, seed %llu)\n", static_cast<long long>(n),
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(next_id - 1),
              static_cast<unsigned long long>(seed));
  return 0;
}

int ConsumeCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Switch("uncommitted").Switch("follow");
  int exit = 0;
  auto config = ParseWithConfig("consume", flags, args, &exit);
  if (!config) return exit;
  bool uncommitted = flags.Has("uncommitted");
  if (!flags.Has("follow")) {
    auto out = ReadOutput(config->output_dir, uncommitted);
    if (!out.ok()) return Fail("consume", out.status(), 1);
    for (const auto& e : *out) std::printf("%s\n", OutputRecordToJson(e.record).c_str());
    return 0;
  }
  InstallStopHandlers();
  OutputTailer tailer(config->output_dir, uncommitted);
  while (!StopRequested()) {
    std::vector<OutputEntry> entries;
    std::vector<OutputRetraction> retracted;
    if (Status s = tailer.Poll(&entries, &retracted); !s.ok()) return Fail("consume", s, 1);
    for (const auto& r : retracted) {
      std::fprintf(stderr,
                   "consume: committed output retracted: %s now holds only %lld of the "
                   "records printed from it\n",
                   r.file.c_str(), static_cast<long long>(r.kept));
    }
    for (const auto& e : entries) std::printf("%s\n", OutputRecordToJson(e.record).c_str());
    std::fflush(stdout);
    if (entries.empty()) SleepMillis(100);
  }
  return 0;
}

int AdminCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("node");
  int exit = 0;
  auto config = ParseWithConfig("admin", flags, args, &exit);
  if (!config) return exit;
  std::string node = flags.GetOr("node", "coordinator");
  const NodeConfig* target = config->FindNode(node);
  if (target == nullptr) return Fail("admin", Status::InvalidArgument("no node '" + node + "'"), 2);
  const auto& pos = flags.positional();
  nlohmann::json request;
  if (pos.size() == 1 && pos[0] == "status") {
    request = {{"type", "status"}};
  } else if (pos.size() == 3 && pos[0] == "failpoint") {
    request = {{"type", "failpoint"}, {"name", pos[1]}, {"spec", pos[2]}};
  } else {
    return Fail("admin", Status::InvalidArgument("expected `status` or `failpoint NAME SPEC`"), 2);
  }
  auto reply = AdminCall(target->listen, request);
  if (!reply.ok()) return Fail("admin", reply.status(), 1);
  std::printf("%s\n", reply->dump().c_str());
  return reply->value("ok", false) ? 0 : 1;
}

}  // namespace faultline::runtime
