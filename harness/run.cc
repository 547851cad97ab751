#include "harness/run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "base/rng.h"
#include "checkers/check.h"
#include "checkers/results_json.h"
#include "harness/cluster_network.h"
#include "harness/generator.h"
#include "harness/history.h"
#include "harness/nemesis.h"
#include "harness/node_control.h"
#include "harness/observer.h"
#include "reports/comparison.h"
#include "reports/run_report.h"
#include "runtime/config.h"
#include "runtime/events.h"

namespace faultline::harness {
namespace {

constexpr int64_t kClusterUpTimeoutMs = 60'000;

std::string NodeBinary(const RunOptions& options) {
  if (!options.node_binary.empty()) return options.node_binary;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "faultline-node";
  self[n] = '\0';
  return JoinPath(DirName(self), "faultline-node");
}

std::vector<std::string> WorkerIds(const Scenario& s) {
  std::vector<std::string> ids;
  for (int i = 1; i <= s.workers; ++i) ids.push_back("worker-" + std::to_string(i));
  return ids;
}

// The runtime config of one run: the scenario's job settings over the defaults, every path
// inside the run directory, listen addresses from the run's network.
Result<runtime::ClusterConfig> BuildClusterConfig(const Scenario& s, const std::string& mode,
                                                  const std::string& run_dir,
                                                  const std::string& source,
                                                  const ClusterNetwork& network) {
  nlohmann::json job = s.job;
  job["mode"] = mode;
  std::string data = JoinPath(run_dir, "data");
  nlohmann::json config = {
      {"job", job},
      {"storage",
       {{"input", JoinPath(data, "input")},
        {"output", JoinPath(data, "output")},
        {"checkpoints", JoinPath(data, "checkpoints")},
        {"offsets", JoinPath(data, "offsets")}}},
  };
  ASSIGN_OR_RETURN(std::string coordinator, network.ListenAddress("coordinator"));
  config["coordinator"] = {{"listen", coordinator},
                           {"data_dir", JoinPath(run_dir, "nodes/coordinator")}};
  nlohmann::json workers = nlohmann::json::array();
  for (const std::string& id : WorkerIds(s)) {
    ASSIGN_OR_RETURN(std::string listen, network.ListenAddress(id));
    workers.push_back({{"id", id},
                       {"listen", listen},
                       {"data_dir", JoinPath(run_dir, "nodes/" + id)},
                       {"slots", s.slots}});
  }
  config["workers"] = workers;
  // Errors about the job name the scenario file and its $.job path.
  return runtime::ParseClusterConfig(config.dump(), source);
}

// Appends each node's events.jsonl to the history as runtime events on the run's time axis.
void MergeRuntimeEvents(const runtime::ClusterConfig& config, HistoryWriter* history) {
  std::vector<const runtime::NodeConfig*> nodes = {&config.coordinator};
  for (const auto& w : config.workers) nodes.push_back(&w);
  for (const auto* node : nodes) {
    for (nlohmann::json& j : runtime::ReadEventLog(node->data_dir)) {
      int64_t mono = j["mono_ns"].get<int64_t>();
      j.erase("mono_ns");
      j["type"] = "runtime";
      history->Write(std::move(j), std::max(mono, history->start_ns()));
    }
  }
}

// Rewrites the history sorted by time (stable; meta first), atomically.
Status SortHistory(const std::string& partial, const std::string& final_path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(partial));
  std::vector<std::pair<int64_t, std::string_view>> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    int64_t t = -1;  // meta has no t and stays first
    if (auto at = line.find("\"t\":"); at != std::string_view::npos)
      t = std::atoll(line.data() + at + 4);
    lines.emplace_back(t, line);
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  out.reserve(text.size());
  for (const auto& [t, line] : lines) {
    out.append(line);
    out.push_back('\n');
  }
  RETURN_IF_ERROR(WriteFileAtomic(final_path, out));
  return RemoveAll(partial);
}

// One line of progress: a rewritten line on a terminal, a log line every 2 s otherwise.
class Progress {
 public:
  explicit Progress(double total_s) : total_s_(total_s), tty_(::isatty(STDERR_FILENO) == 1) {}
  void Update(double elapsed_s, int64_t inputs, int64_t outputs,
              const std::vector<std::string>& faults, int64_t checkpoint) {
    int64_t now = MonotonicMillis();
    if (now - last_ms_ < (tty_ ? 200 : 2000)) return;
    double dt = static_cast<double>(now - last_ms_) / 1000.0;
    double in_rate = last_ms_ == 0 ? 0 : static_cast<double>(inputs - last_in_) / dt;
    double out_rate = last_ms_ == 0 ? 0 : static_cast<double>(outputs - last_out_) / dt;
    last_ms_ = now;
    last_in_ = inputs;
    last_out_ = outputs;
    std::string active;
    for (const auto& f : faults) active += (active.empty() ? "" : "; ") + f;
    char line[512];
    std::snprintf(line, sizeof(line),
                  "[%5.1f/%.0f s] in %7.0f/s  out %7.0f/s  chk %lld  faults: %s", elapsed_s,
                  total_s_, in_rate, out_rate, static_cast<long long>(checkpoint),
                  active.empty() ? "none" : active.c_str());
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line);
    } else {
      FL_LOG(Info) << line;
    }
  }
  void Done() {
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  double total_s_;
  bool tty_;
  int64_t last_ms_ = 0;
  int64_t last_in_ = 0;
  int64_t last_out_ = 0;
};

struct CoordinatorStatus {
  bool reachable = false;
  std::string state;
  int64_t completed = 0;
  int64_t last_completed = 0;
};

CoordinatorStatus QueryCoordinator(const ClusterNetwork& network) {
  CoordinatorStatus st;
  auto reply = network.Admin("coordinator", {{"type", "status"}}, 1000);
  if (!reply.ok()) return st;
  st.reachable = true;
  st.state = reply->value("state", "");
  st.completed = reply->value("completed_checkpoints", int64_t{0});
  st.last_completed = reply->value("last_completed_checkpoint", int64_t{0});
  return st;
}

class ModeRun {
 public:
  ModeRun(const Scenario& s, std::string mode, std::string run_dir, const RunOptions& options)
      : s_(s), mode_(std::move(mode)), run_dir_(std::move(run_dir)), options_(options) {}

  Result<RunOutcome> Run() {
    RETURN_IF_ERROR(CreateDirs(run_dir_));
    Scenario resolved = s_;
    resolved.modes = {mode_};
    RETURN_IF_ERROR(
        WriteFileAtomic(JoinPath(run_dir_, "scenario.json"), resolved.ToJson().dump(2) + "\n"));
    std::vector<std::string> worker_ids = WorkerIds(s_);
    std::vector<std::string> node_ids = {"coordinator"};
    node_ids.insert(node_ids.end(), worker_ids.begin(), worker_ids.end());
    auto network = ClusterNetwork::Create(s_.network, node_ids);
    if (!network.ok())
      return network.status().WithContext(options_.scenario_path + ": $.cluster.network");
    network_ = std::move(*network);
    ASSIGN_OR_RETURN(config_,
                     BuildClusterConfig(s_, mode_, run_dir_, options_.scenario_path, *network_));
    RETURN_IF_ERROR(network_->Attach(&config_));
    RETURN_IF_ERROR(CreateDirs(JoinPath(run_dir_, "data")));
    RETURN_IF_ERROR(WriteFileAtomic(JoinPath(run_dir_, "data/cluster.json"),
                                    runtime::ClusterConfigToJson(config_)));

    Rng rng(*s_.seed);
    ASSIGN_OR_RETURN(std::vector<PlannedFault> plan,
                     PlanFaults(s_, worker_ids, rng.Fork("nemesis")));

    start_ns_ = MonotonicNanos();
    history_ =
        std::make_unique<HistoryWriter>(start_ns_, JoinPath(run_dir_, "history.jsonl.partial"));
    RETURN_IF_ERROR(history_->Open());
    history_->WriteLine(nlohmann::json{
        {"type", "meta"},
        {"scenario", s_.name},
        {"mode", mode_},
        {"job", s_.job_operator()},
        {"seed", *s_.seed},
        {"workers", s_.workers},
        {"rate", s_.workload.rate},
        {"duration_s",
         s_.duration_s}}.dump());
    Phase("setup");
    std::string bin = NodeBinary(options_);
    std::string cfg = JoinPath(run_dir_, "data/cluster.json");
    ASSIGN_OR_RETURN(std::vector<std::string> coordinator_argv,
                     network_->Command("coordinator", {bin, "coordinator", "--config", cfg}));
    nodes_["coordinator"] = std::make_unique<NodeProcess>("coordinator", coordinator_argv,
                                                          config_.coordinator.data_dir);
    for (const auto& w : config_.workers) {
      ASSIGN_OR_RETURN(std::vector<std::string> argv,
                       network_->Command(w.id, {bin, "worker", "--config", cfg, "--id", w.id}));
      nodes_[w.id] = std::make_unique<NodeProcess>(w.id, argv, w.data_dir);
    }
    auto actions =
        MakeClusterFaultActions(&nodes_, history_.get(), network_.get(), rng.Fork("links"));
    for (const auto& f : plan) {
      Status v = actions->Validate(f);
      if (!v.ok())
        return v.WithContext(options_.scenario_path + ": $.nemesis[" +
                             std::to_string(f.spec_index) + "]");
    }
    RETURN_IF_ERROR(nodes_["coordinator"]->Start());
    for (const auto& w : config_.workers) RETURN_IF_ERROR(nodes_[w.id]->Start());
    if (!PollUntil([&] { return QueryCoordinator(*network_).state == "running"; },
                   Deadline::AfterMillis(kClusterUpTimeoutMs), 100)) {
      StopCluster();
      return Status::Timeout("the cluster did not start within " +
                             std::to_string(kClusterUpTimeoutMs / 1000) + " s; see " +
                             JoinPath(run_dir_, "nodes"));
    }

    Phase("generate");
    int64_t generate_ns = MonotonicNanos();
    Generator generator(s_.workload, rng.Fork("generator"), config_.input_dir,
                        config_.job.partitions, history_.get());
    Observer observer(config_.output_dir, s_.observe_uncommitted, history_.get());
    observer.Start();
    RETURN_IF_ERROR(generator.Start());
    NemesisRunner nemesis(plan, actions.get(), generate_ns);
    Progress progress(s_.duration_s);
    CoordinatorStatus last_status;
    int64_t last_status_ms = 0;
    while (MonotonicNanos() - generate_ns < static_cast<int64_t>(s_.duration_s * 1e9)) {
      RETURN_IF_ERROR(nemesis.Tick());
      if (MonotonicMillis() - last_status_ms > 1000) {
        auto st = QueryCoordinator(*network_);
        if (st.reachable) last_status = st;
        last_status_ms = MonotonicMillis();
      }
      progress.Update(static_cast<double>(MonotonicNanos() - generate_ns) / 1e9,
                      generator.acknowledged(), observer.committed_seen(),
                      nemesis.ActiveDescriptions(), last_status.last_completed);
      SleepMillis(20);
    }
    progress.Done();
    Status gen = generator.Stop();
    if (!gen.ok()) return gen.WithContext("generator");

    Phase("heal");
    RETURN_IF_ERROR(nemesis.HealAll());
    RETURN_IF_ERROR(network_->HealAll());
    for (auto& [id, n] : nodes_) {
      if (n->paused()) (void)n->Resume();
      if (!n->Running()) {
        FL_LOG(Warning) << id << " was down at heal ("
                        << (n->last_exit() ? n->last_exit()->ToString() : "?") << "): restarting";
        RETURN_IF_ERROR(n->Start());
      }
    }
    if (s_.job_operator() == "window-count") RETURN_IF_ERROR(generator.AppendFinalWatermarks());

    Phase("quiesce");
    bool quiet = AwaitQuiescence(generator.acknowledged(), observer);
    if (quiet) {
      Phase("final-read");
      RETURN_IF_ERROR(observer.Stop());
      RETURN_IF_ERROR(observer.FinalRead());
    } else {
      FL_LOG(Warning) << "no quiescence within " << s_.quiesce_timeout_s
                      << " s: the verdict will be unknown";
      (void)observer.Stop();
    }
    StopCluster();
    MergeRuntimeEvents(config_, history_.get());
    Phase("done");
    RETURN_IF_ERROR(history_->Close());
    std::string history_path = JoinPath(run_dir_, "history.jsonl");
    RETURN_IF_ERROR(SortHistory(history_->path(), history_path));
    return Check(history_path);
  }

 private:
  void Phase(const char* phase) {
    history_->Write({{"type", "phase"}, {"phase", phase}});
    FL_LOG(Info) << "phase " << phase;
  }

  // Every acknowledged input delivered (count job), or no output growth across
  // quiesce_checkpoints completed checkpoints, within the scenario's deadline.
  bool AwaitQuiescence(int64_t acknowledged, const Observer& observer) {
    bool count_job = s_.job_operator() == "count";
    int64_t seen = -1, quiet_from = -1;
    return PollUntil(
        [&] {
          if (count_job && static_cast<int64_t>(observer.delivered_ids()) >= acknowledged)
            return true;
          CoordinatorStatus st = QueryCoordinator(*network_);
          if (!st.reachable || st.state != "running") {
            quiet_from = -1;
            return false;
          }
          if (observer.committed_seen() != seen || quiet_from < 0) {
            seen = observer.committed_seen();
            // The checkpoint completing now may commit output the observer has not read yet
            // (the sinks commit on its notification): count from the next one.
            quiet_from = st.completed + 1;
            return false;
          }
          return st.completed >= quiet_from + s_.quiesce_checkpoints;
        },
        Deadline::AfterMillis(static_cast<int64_t>(s_.quiesce_timeout_s * 1000)), 100);
  }

  void StopCluster() {
    for (auto& [id, n] : nodes_) {
      if (id != "coordinator") (void)n->Stop(5000);
    }
    if (nodes_.count("coordinator")) (void)nodes_["coordinator"]->Stop(5000);
  }

  Result<RunOutcome> Check(const std::string& history_path) {
    RunOutcome out;
    out.mode = mode_;
    out.run_dir = run_dir_;
    if (s_.expect.contains(mode_)) out.expected = s_.expect[mode_].get<std::string>();
    auto history = checkers::ReadHistoryFile(history_path);
    if (!history.ok()) return history.status().WithContext("checking " + history_path);
    checkers::CheckResult result = checkers::Check(*history);
    RETURN_IF_ERROR(
        checkers::WriteResultsJson(JoinPath(run_dir_, "results.json"), result, history_path));
    out.verdict = result.verdict;
    out.summary = checkers::FormatSummary(result);
    // A report that cannot be drawn must not hide the verdict: `faultline report` redraws it.
    if (auto report = reports::WriteRunReport(run_dir_); !report.ok())
      FL_LOG(Warning) << "report.html: " << report.status().ToString();
    if (out.verdict == checkers::Verdict::kValid && !options_.keep_data) {
      (void)RemoveAll(JoinPath(run_dir_, "data"));
      for (const auto& [id, n] : nodes_)
        (void)RemoveAll(JoinPath(run_dir_, "nodes/" + id + "/state"));
    }
    return out;
  }

  const Scenario& s_;
  std::string mode_;
  std::string run_dir_;
  const RunOptions& options_;
  runtime::ClusterConfig config_;
  int64_t start_ns_ = 0;
  std::unique_ptr<HistoryWriter> history_;
  std::unique_ptr<ClusterNetwork> network_;  // outlives nodes_ (declared first)
  NodeMap nodes_;
};

Status PointLatest(const std::string& store_dir, const std::string& run_dir) {
  std::string link = JoinPath(store_dir, "latest");
  std::string tmp = link + ".tmp";
  ::unlink(tmp.c_str());
  std::string target = run_dir.substr(store_dir.size() + (store_dir.back() == '/' ? 0 : 1));
  if (::symlink(target.c_str(), tmp.c_str()) != 0) return Status::IoError("symlink " + tmp, errno);
  if (::rename(tmp.c_str(), link.c_str()) != 0) return Status::IoError("rename " + tmp, errno);
  return Status::Ok();
}

}  // namespace

bool RunOutcome::as_expected() const {
  if (expected == "any") return verdict != checkers::Verdict::kUnknown;
  return checkers::VerdictName(verdict) == expected;
}

int WorstExitCode(const std::vector<RunOutcome>& outcomes) {
  int worst = 0;
  for (const auto& o : outcomes) {
    int code = o.verdict == checkers::Verdict::kValid     ? 0
               : o.verdict == checkers::Verdict::kInvalid ? 1
                                                          : 2;
    worst = std::max(worst, code);
  }
  return worst;
}

Result<std::vector<RunOutcome>> RunScenario(Scenario scenario, const RunOptions& options) {
  if (options.seed) scenario.seed = options.seed;
  scenario.seed = ChooseSeed(scenario.seed);
  if (options.mode) scenario.modes = {*options.mode};
  if (options.duration_s) scenario.duration_s = *options.duration_s;
  BecomeSubreaper();
  std::string base =
      JoinPath(JoinPath(options.store_dir, scenario.name), UtcTimestamp(/*compact=*/true));
  RETURN_IF_ERROR(CreateDirs(base));
  RETURN_IF_ERROR(
      WriteFileAtomic(JoinPath(base, "scenario.json"), scenario.ToJson().dump(2) + "\n"));
  FL_LOG(Info) << "scenario " << scenario.name << ", seed " << *scenario.seed
               << " (replay: faultline run " << JoinPath(base, "scenario.json") << ")";
  std::vector<RunOutcome> outcomes;
  for (const std::string& mode : scenario.modes) {
    std::string run_dir = scenario.modes.size() == 1 ? base : JoinPath(base, mode);
    FL_LOG(Info) << "mode " << mode << " -> " << run_dir;
    ModeRun run(scenario, mode, run_dir, options);
    ASSIGN_OR_RETURN(RunOutcome outcome, run.Run());
    outcomes.push_back(std::move(outcome));
  }
  if (scenario.modes.size() > 1) {
    if (auto report = reports::WriteComparisonReport(base); !report.ok())
      FL_LOG(Warning) << "comparison report: " << report.status().ToString();
  }
  RETURN_IF_ERROR(PointLatest(options.store_dir, base));
  return outcomes;
}

}  // namespace faultline::harness
