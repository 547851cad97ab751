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
#include "checkers/verdict.h"
#include "harness/generator.h"
#include "harness/history.h"
#include "harness/nemesis.h"
#include "harness/observer.h"
#include "harness/system_registry.h"
#include "reports/comparison.h"
#include "reports/run_report.h"
#include "systems/faultfs_mounts.h"
#include "systems/network.h"
#include "systems/node_set.h"

namespace faultline::harness {
namespace {

constexpr int64_t kReadyTimeoutMs = 60'000;

std::string NodeBinary(const RunOptions& options) {
  if (!options.node_binary.empty()) return options.node_binary;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "faultline-node";
  self[n] = '\0';
  return JoinPath(DirName(self), "faultline-node");
}

Result<std::unique_ptr<systems::System>> MakeSystem(const Scenario& s, const RunOptions& options) {
  if (options.make_system) return options.make_system(s);
  const SystemKind* kind = FindSystemKind(s.system);
  if (kind == nullptr) return Status::InvalidArgument("unknown system kind '" + s.system + "'");
  return kind->make(s, SystemOptions{NodeBinary(options)});
}

// Appends the nodes' events to the history as runtime events on the run's time axis.
void MergeNodeEvents(systems::System& system, HistoryWriter* history) {
  for (systems::NodeEvent& e : system.Events()) {
    e.fields["type"] = "runtime";
    history->Write(std::move(e.fields), std::max(e.mono_ns, history->start_ns()));
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
  Progress(double total_s, std::function<void(const std::string&)> sink)
      : total_s_(total_s), tty_(::isatty(STDERR_FILENO) == 1), sink_(std::move(sink)) {}
  void Update(double elapsed_s, int64_t inputs, int64_t outputs,
              const std::vector<std::string>& faults, const std::string& system_status) {
    int64_t now = MonotonicMillis();
    if (now - last_ms_ < (tty_ || sink_ ? 200 : 2000)) return;
    double dt = static_cast<double>(now - last_ms_) / 1000.0;
    double in_rate = last_ms_ == 0 ? 0 : static_cast<double>(inputs - last_in_) / dt;
    double out_rate = last_ms_ == 0 ? 0 : static_cast<double>(outputs - last_out_) / dt;
    last_ms_ = now;
    last_in_ = inputs;
    last_out_ = outputs;
    std::string active;
    for (const auto& f : faults) active += (active.empty() ? "" : "; ") + f;
    char line[512];
    std::snprintf(line, sizeof(line), "[%5.1f/%.0f s] in %7.0f/s  out %7.0f/s  %s  faults: %s",
                  elapsed_s, total_s_, in_rate, out_rate, system_status.c_str(),
                  active.empty() ? "none" : active.c_str());
    if (sink_) {
      sink_(line);
    } else if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line);
    } else {
      FL_LOG(Info) << line;
    }
  }
  void Done() {
    if (tty_ && !sink_) std::fputs("\r\033[K", stderr);
  }

 private:
  double total_s_;
  bool tty_;
  std::function<void(const std::string&)> sink_;
  int64_t last_ms_ = 0;
  int64_t last_in_ = 0;
  int64_t last_out_ = 0;
};

class ModeRun {
 public:
  ModeRun(const Scenario& s, std::string mode, std::string run_dir, const RunOptions& options)
      : s_(s), mode_(std::move(mode)), run_dir_(std::move(run_dir)), options_(options) {}
  ~ModeRun() {
    if (system_) system_->nodes().StopAll();
    if (faultfs_) (void)faultfs_->Unmount();
  }

  Result<RunOutcome> Run() {
    RETURN_IF_ERROR(CreateDirs(run_dir_));
    Scenario resolved = s_;
    resolved.modes = {mode_};
    RETURN_IF_ERROR(
        WriteFileAtomic(JoinPath(run_dir_, "scenario.json"), resolved.ToJson().dump(2) + "\n"));
    ASSIGN_OR_RETURN(system_, MakeSystem(s_, options_));
    std::vector<systems::NodeSpec> nodes = system_->Nodes();
    std::vector<std::string> node_ids;
    for (const auto& n : nodes) node_ids.push_back(n.id);
    auto network = systems::Network::Create(s_.network, node_ids);
    if (!network.ok())
      return network.status().WithContext(options_.scenario_path + ": $.cluster.network");
    network_ = std::move(*network);
    if (s_.faultfs) {
      // Mounted before the system writes anything there.
      auto mounts = systems::FaultFsMounts::Mount(run_dir_, system_->DurableDirs(),
                                                  systems::FaultFsBinary(), *s_.seed);
      if (!mounts.ok())
        return mounts.status().WithContext(options_.scenario_path + ": $.cluster.faultfs");
      faultfs_ = std::move(*mounts);
    }
    systems::SystemContext ctx{run_dir_, *ParseMode(mode_), network_.get(), options_.scenario_path};
    Status setup = system_->Setup(ctx);
    if (!setup.ok()) return setup.WithContext(std::string(system_->kind()) + " setup");

    Rng rng(*s_.seed);
    std::vector<systems::NodeSpec> targets = nodes;
    for (const auto& c : system_->Clients()) targets.push_back(c);
    auto plan = PlanFaults(s_, targets, rng.Fork("nemesis"));
    if (!plan.ok()) return plan.status().WithContext(options_.scenario_path);
    RETURN_IF_ERROR(WriteFileAtomic(
        JoinPath(run_dir_, kPlanFile),
        PlanFileJson(*plan, s_.name, mode_, *s_.seed, s_.plan.has_value()).dump(2) + "\n"));

    start_ns_ = MonotonicNanos();
    history_ =
        std::make_unique<HistoryWriter>(start_ns_, JoinPath(run_dir_, "history.jsonl.partial"));
    RETURN_IF_ERROR(history_->Open());
    nlohmann::json meta = {
        {"type", "meta"}, {"scenario", s_.name},   {"system", std::string(system_->kind())},
        {"mode", mode_},  {"job", system_->job()}, {"seed", *s_.seed}};
    const nlohmann::json system_meta = system_->MetaFields();
    for (const auto& [k, v] : system_meta.items()) meta[k] = v;
    meta["rate"] = s_.workload.rate;
    meta["duration_s"] = s_.duration_s;
    meta["checks"] = s_.checks;
    history_->WriteLine(meta.dump());
    Phase("setup");
    auto actions = MakeFaultActions(system_.get(), network_.get(), faultfs_.get(), history_.get(),
                                    rng.Fork("links"));
    for (const auto& f : plan->faults) {
      Status v = actions->Validate(f);
      if (!v.ok()) return v.WithContext(options_.scenario_path + ": " + f.origin);
    }
    RETURN_IF_ERROR(system_->nodes().StartAll());
    RETURN_IF_ERROR(systems::AwaitNodesReady(
        system_->nodes(), [&] { return system_->Ready(); },
        Deadline::AfterMillis(kReadyTimeoutMs)));

    Phase("generate");
    int64_t generate_ns = MonotonicNanos();
    ASSIGN_OR_RETURN(std::unique_ptr<systems::Client> client, system_->OpenClient());
    ASSIGN_OR_RETURN(std::unique_ptr<systems::Reader> reader,
                     system_->OpenReader(s_.observe_uncommitted));
    DeliveryLedger ledger;
    Generator generator(s_.workload, rng.Fork("generator"), client.get(), history_.get(), &ledger);
    Observer observer(reader.get(), history_.get(), &ledger);
    observer.Start();
    RETURN_IF_ERROR(generator.Start());
    NemesisRunner nemesis(plan->faults, actions.get(), generate_ns);
    Progress progress(s_.duration_s, options_.progress);
    while (MonotonicNanos() - generate_ns < static_cast<int64_t>(s_.duration_s * 1e9) &&
           !generator.stopped() && !observer.stopped()) {
      nemesis.Tick();
      progress.Update(static_cast<double>(MonotonicNanos() - generate_ns) / 1e9,
                      generator.acknowledged(), observer.committed_seen(),
                      nemesis.ActiveDescriptions(), system_->StatusLine());
      SleepMillis(20);
    }
    progress.Done();
    // A client or reader that fails (an adapter that breaks its protocol, say) makes the run
    // one that cannot be judged: it is healed, stopped and checked, and its verdict is unknown.
    std::string aborted;
    if (Status gen = generator.Stop(); !gen.ok()) aborted = "the client failed: " + gen.ToString();

    Phase("heal");
    nemesis.HealAll();
    RETURN_IF_ERROR(network_->HealAll());
    for (const systems::NodeSpec& spec : system_->nodes().specs()) {
      systems::NodeProcess& n = *system_->nodes().Find(spec.id);
      if (n.paused()) (void)n.Resume();
      if (!n.Running()) {
        FL_LOG(Warning) << spec.id << " was down at heal ("
                        << (n.last_exit() ? n.last_exit()->ToString() : "?") << "): restarting";
        RETURN_IF_ERROR(n.Start());
      }
    }
    if (Status finished = aborted.empty() ? client->Finish() : Status::Ok(); !finished.ok())
      aborted = "the client failed at the end of input: " + finished.ToString();

    if (aborted.empty()) {
      Phase("quiesce");
      std::optional<std::string> halted;
      bool quiet = PollUntil(
          [&] {
            if (observer.stopped()) return true;
            bool q = system_->Quiescent({generator.acknowledged(), ledger.acknowledged_delivered(),
                                         observer.committed_seen()});
            halted = system_->Halted();
            return q || halted.has_value();
          },
          Deadline::AfterMillis(static_cast<int64_t>(s_.quiesce_timeout_s * 1000)), 100);
      Status observed = observer.Stop();
      if (halted) {
        aborted = "the system halted: " + *halted;
      } else if (observed.ok() && quiet) {
        Phase("final-read");
        observed = observer.FinalRead();
      } else if (observed.ok()) {
        FL_LOG(Warning) << "no quiescence within " << s_.quiesce_timeout_s
                        << " s: the verdict will be unknown";
      }
      if (!observed.ok()) aborted = "the reader failed: " + observed.ToString();
    } else {
      (void)observer.Stop();
    }
    if (!aborted.empty()) {
      FL_LOG(Error) << aborted << ": the verdict will be unknown";
      history_->Write({{"type", "phase"}, {"phase", "aborted"}, {"error", aborted}});
    }
    system_->nodes().StopAll();
    if (faultfs_) {
      Status unmounted = faultfs_->Unmount();
      if (!unmounted.ok()) FL_LOG(Warning) << unmounted.ToString();
    }
    MergeNodeEvents(*system_, history_.get());
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
      for (const std::string& path : system_->DataPaths()) (void)RemoveAll(path);
    }
    return out;
  }

  const Scenario& s_;
  std::string mode_;
  std::string run_dir_;
  const RunOptions& options_;
  int64_t start_ns_ = 0;
  std::unique_ptr<HistoryWriter> history_;
  std::unique_ptr<systems::Network> network_;        // outlives system_ (declared first)
  std::unique_ptr<systems::FaultFsMounts> faultfs_;  // unmounted after system_'s nodes stop
  std::unique_ptr<systems::System> system_;
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

bool RunOutcome::as_expected() const { return checkers::MeetsExpectation(verdict, expected); }

int WorstExitCode(const std::vector<RunOutcome>& outcomes) {
  int worst = 0;
  for (const auto& o : outcomes) worst = std::max(worst, checkers::ExitCodeFor(o.verdict));
  return worst;
}

Result<std::vector<RunOutcome>> RunScenario(Scenario scenario, const RunOptions& options) {
  if (options.seed) scenario.seed = options.seed;
  scenario.seed = ChooseSeed(scenario.seed);
  if (options.mode) scenario.modes = {*options.mode};
  if (options.duration_s) scenario.duration_s = *options.duration_s;
  systems::BecomeSubreaper();
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
