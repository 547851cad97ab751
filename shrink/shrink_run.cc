#include "shrink/shrink_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/version.h"
#include "checkers/results_json.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/system_registry.h"
#include "reports/run_report.h"
#include "shrink/shrinker.h"

namespace faultline::shrink {
namespace {

using harness::Scenario;

std::string FormatElapsed(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

// The shrink's line: tries, best size so far, elapsed; on a terminal rewritten in place with
// the current try's own progress after it, otherwise one log line per try.
class ShrinkProgress {
 public:
  ShrinkProgress(int budget, int original_faults, double prior_wall_s, bool quiet)
      : budget_(budget),
        original_faults_(original_faults),
        prior_wall_s_(prior_wall_s),
        tty_(!quiet && ::isatty(STDERR_FILENO) == 1),
        quiet_(quiet) {}

  double elapsed_s() const { return prior_wall_s_ + clock_.ElapsedSeconds(); }

  void Update(const ShrinkLog& log, const Scenario& best) {
    char line[256];
    std::snprintf(line, sizeof(line), "shrink: try %d/%d, best %zu of %d faults in %.1f s, %s",
                  log.tries_used(), budget_, best.plan ? best.plan->size() : size_t{0},
                  original_faults_, best.duration_s, FormatElapsed(elapsed_s()).c_str());
    prefix_ = line;
    if (tries_shown_ == log.tries_used() && !tty_) return;
    tries_shown_ = log.tries_used();
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", prefix_.c_str());
    } else if (!quiet_) {
      FL_LOG(Info) << prefix_;
    }
  }
  void RunLine(const std::string& run_line) {
    if (tty_) std::fprintf(stderr, "\r\033[K%s | %s", prefix_.c_str(), run_line.c_str());
  }
  void Done() {
    if (tty_) std::fputs("\r\033[K", stderr);
  }

 private:
  int budget_;
  int original_faults_;
  double prior_wall_s_;
  bool tty_;
  bool quiet_;
  Stopwatch clock_;
  std::string prefix_;
  int tries_shown_ = -1;
};

// Each try is a real run of the candidate under RUN_DIR/shrink/tries/N/.
class RunOracle : public Oracle {
 public:
  RunOracle(std::string shrink_dir, std::string scenario_path, std::vector<std::string> target,
            ShrinkProgress* progress, const ShrinkRequest& request)
      : shrink_dir_(std::move(shrink_dir)),
        scenario_path_(std::move(scenario_path)),
        target_(std::move(target)),
        progress_(progress),
        request_(request) {}

  TryResult Try(const Scenario& candidate, int try_number) override {
    Stopwatch clock;
    harness::RunOptions options;
    options.store_dir = JoinPath(shrink_dir_, "tries/" + std::to_string(try_number));
    options.scenario_path = scenario_path_;
    options.progress = [this](const std::string& line) { progress_->RunLine(line); };
    options.make_system = request_.make_system;
    auto outcomes = harness::RunScenario(candidate, options);
    TryResult r;
    r.wall_s = clock.ElapsedSeconds();
    if (!outcomes.ok() || outcomes->empty()) {
      r.verdict = "error";
      r.error = outcomes.ok() ? "no outcome" : outcomes.status().ToString();
      FL_LOG(Warning) << "shrink try " << try_number << ": " << r.error;
      return r;
    }
    const harness::RunOutcome& o = outcomes->front();
    r.run_dir = o.run_dir;
    r.verdict = std::string(checkers::VerdictName(o.verdict));
    if (auto results = ReadJsonFile(JoinPath(o.run_dir, "results.json")); results.ok())
      r.failing = checkers::FailingKinds(*results);
    r.reproduced = o.verdict == checkers::Verdict::kInvalid &&
                   std::any_of(r.failing.begin(), r.failing.end(), [&](const std::string& k) {
                     return std::find(target_.begin(), target_.end(), k) != target_.end();
                   });
    return r;
  }

 private:
  std::string shrink_dir_;
  std::string scenario_path_;
  std::vector<std::string> target_;
  ShrinkProgress* progress_;
  const ShrinkRequest& request_;
};

// The run's failure and plan, or why it cannot be shrunk.
struct StoredRun {
  Scenario original;  // the stored scenario with its plan.json as a fixed plan
  std::vector<std::string> target;
};

Result<StoredRun> LoadStoredRun(const std::string& dir) {
  if (!PathExists(dir)) return Status::InvalidArgument(dir + ": no such run directory");
  const std::string results_path = JoinPath(dir, "results.json");
  if (!PathExists(results_path)) {
    std::string modes;
    if (auto names = ListDir(dir); names.ok()) {
      for (const auto& n : *names) {
        if (PathExists(JoinPath(JoinPath(dir, n), "results.json")))
          modes += (modes.empty() ? "" : ", ") + JoinPath(dir, n);
      }
    }
    if (!modes.empty()) {
      return Status::InvalidArgument(dir +
                                     ": a run of several modes; shrink one mode's run: " + modes);
    }
    return Status::InvalidArgument(results_path + ": missing: not a checked run directory");
  }
  ASSIGN_OR_RETURN(nlohmann::json results, ReadJsonFile(results_path));
  const nlohmann::json valid =
      results.is_object() ? results.value("valid", nlohmann::json()) : nlohmann::json();
  if (valid == true) {
    return Status::InvalidArgument(results_path + ": $.valid: the run is valid; only a run " +
                                   "judged invalid has a failure to shrink");
  }
  if (valid != false) {
    return Status::InvalidArgument(results_path + ": $.valid: the run could not be judged (" +
                                   valid.dump() + "); only a run judged invalid can be shrunk");
  }
  StoredRun run;
  run.target = checkers::FailingKinds(results);
  if (run.target.empty()) {
    return Status::InvalidArgument(results_path +
                                   ": $.checkers: invalid, yet no checker lists a failing kind");
  }
  const std::string plan_path = JoinPath(dir, harness::kPlanFile);
  if (!PathExists(plan_path)) {
    return Status::InvalidArgument(plan_path +
                                   ": missing: the run was stored without its fault plan (by "
                                   "an older faultline); run its scenario again to shrink it");
  }
  ASSIGN_OR_RETURN(nlohmann::json plan, ReadJsonFile(plan_path));
  const std::string version = plan.is_object() ? plan.value("faultline_version", "") : "";
  if (version != kVersion) {
    return Status::InvalidArgument(plan_path + ": $.faultline_version: stored by faultline \"" +
                                   version + "\", this is " + kVersion +
                                   ": its plan may not replay the same; run its scenario again");
  }
  ASSIGN_OR_RETURN(run.original, harness::LoadScenario(JoinPath(dir, "scenario.json")));
  if (run.original.modes.size() != 1) {
    return Status::InvalidArgument(JoinPath(dir, "scenario.json") +
                                   ": $.mode: expected the one mode of this run");
  }
  ASSIGN_OR_RETURN(run.original.plan,
                   harness::ParsePlan(plan.value("faults", nlohmann::json()), "$.faults", plan_path,
                                      run.original.duration_s, run.original.max_active_faults));
  run.original.nemesis.clear();
  run.original.expect = nlohmann::json::object();  // the minimal scenario expects valid
  return run;
}

nlohmann::json BestJson(const Scenario& best) {
  return {{"faults", best.plan->size()},
          {"duration_s", best.duration_s},
          {"workers", best.workers},
          {"plan", harness::PlanToJson(*best.plan)}};
}

}  // namespace

Result<ShrinkSummary> ShrinkRun(const ShrinkRequest& request) {
  if (request.budget < 1) {
    return Status::InvalidArgument("--budget: expected at least 1 try, got " +
                                   std::to_string(request.budget));
  }
  if (request.tries < 0 || request.tries > 100) {
    return Status::InvalidArgument("--tries: expected 1 to 100 tries per candidate, got " +
                                   std::to_string(request.tries));
  }
  std::string dir = request.run_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  ASSIGN_OR_RETURN(StoredRun stored, LoadStoredRun(dir));
  const Scenario& original = stored.original;
  const std::string shrink_dir = JoinPath(dir, "shrink");
  RETURN_IF_ERROR(CreateDirs(shrink_dir));
  ShrinkSummary summary;
  summary.log_path = JoinPath(shrink_dir, "shrink.json");
  summary.minimal_path =
      request.minimal_path.empty() ? JoinPath(shrink_dir, "minimal.json") : request.minimal_path;
  summary.original_faults = static_cast<int>(original.plan->size());
  summary.original_duration_s = original.duration_s;

  ShrinkLog::Header header{dir,           original.name,          original.modes[0], *original.seed,
                           stored.target, summary.original_faults};
  auto loaded = ShrinkLog::Load(summary.log_path, header);
  if (!loaded.ok() && !loaded.status().IsNotFound()) return loaded.status();
  ShrinkLog log = loaded.ok() ? std::move(*loaded) : ShrinkLog(header);
  if (loaded.ok() && !request.quiet) {
    std::fprintf(stderr, "resuming the shrink in %s (%d tries so far)\n", summary.log_path.c_str(),
                 log.tries_used());
  }
  ShrinkProgress progress(request.budget, summary.original_faults, log.summary.value("wall_s", 0.0),
                          request.quiet);
  auto save = [&](const std::string& state, const Scenario& best) {
    log.summary["budget"] = request.budget;
    log.summary["tries_used"] = log.tries_used();
    log.summary["state"] = state;
    log.summary["wall_s"] = progress.elapsed_s();
    log.summary["original"] = {{"faults", summary.original_faults},
                               {"duration_s", original.duration_s},
                               {"workers", original.workers}};
    log.summary["best"] = BestJson(best);
    return log.Save(summary.log_path);
  };

  RunOracle oracle(shrink_dir, JoinPath(dir, "scenario.json"), stored.target, &progress, request);
  ShrinkerOptions options;
  options.budget = request.budget;
  options.tries = request.tries;
  if (const harness::SystemKind* kind = harness::FindSystemKind(original.system))
    options.fewer_nodes = kind->fewer_nodes;
  Status saved = Status::Ok();
  options.on_progress = [&](const ShrinkLog& l, const Scenario& best) {
    progress.Update(l, best);
    if (Status s = save("running", best); !s.ok() && saved.ok()) saved = s;
  };
  Shrinker shrinker(original, options, &oracle, &log);
  auto best = shrinker.Run();
  progress.Done();
  RETURN_IF_ERROR(saved);
  log.summary["tries_per_candidate"] = shrinker.tries_per_candidate();
  if (!best.ok()) {
    RETURN_IF_ERROR(save("not-reproduced", original));
    return best.status().WithContext(dir);
  }
  Scenario minimal = std::move(*best);
  minimal.name = original.name + "-min";
  RETURN_IF_ERROR(CreateDirs(DirName(summary.minimal_path)));
  RETURN_IF_ERROR(WriteFileAtomic(summary.minimal_path, minimal.ToJson().dump(2) + "\n"));
  log.summary["minimal_scenario"] = summary.minimal_path;
  RETURN_IF_ERROR(save(shrinker.budget_exhausted() ? "budget-exhausted" : "done", minimal));
  if (auto report = reports::WriteRunReport(dir); !report.ok())
    FL_LOG(Warning) << "report.html: " << report.status().ToString();
  summary.minimal_faults = static_cast<int>(minimal.plan->size());
  summary.minimal_duration_s = minimal.duration_s;
  summary.tries_used = log.tries_used();
  summary.tries_per_candidate = shrinker.tries_per_candidate();
  summary.wall_s = progress.elapsed_s();
  summary.budget_exhausted = shrinker.budget_exhausted();
  return summary;
}

}  // namespace faultline::shrink
