// `faultline suite`: harness/suite.h.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "base/file.h"
#include "base/flags.h"
#include "base/json.h"
#include "base/logging.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/suite.h"
#include "reports/suite_report.h"
#include "systems/faultfs_mounts.h"
#include "systems/network.h"

namespace faultline::harness {
namespace {

constexpr const char* kUsage =
    "usage: faultline suite PATH... [--shard I/N] [--junit FILE] [--store DIR] [--seed N]\n"
    "                       [--shrink] [--shrink-budget RUNS]\n"
    "  PATH is a scenario file, a directory of them, or a suite file {\"scenarios\": [...]}.\n"
    "  Runs every scenario, prints a summary, exits with the worst result; a verdict other than\n"
    "  the scenario expects counts as invalid. Writes index.html and summary.md (a Markdown\n"
    "  summary, appended to $GITHUB_STEP_SUMMARY when set) beside the JUnit file, else into\n"
    "  the store.\n"
    "  --shrink  shrinks every run that failed (invalid, not as expected) to its smallest\n"
    "            fault plan and writes SCENARIO.MODE.min.json there too (docs/shrinking.md);\n"
    "            --shrink-budget RUNS real runs per failing run (default 40)\n";

// Scenario files named by `path`: itself, the *.json of a directory, or a suite's list
// (relative to the suite file).
Result<std::vector<std::string>> Expand(const std::string& path) {
  auto names = ListDir(path);
  if (names.ok()) {
    std::vector<std::string> out;
    for (const auto& n : *names) {
      if (n.size() > 5 && n.substr(n.size() - 5) == ".json") out.push_back(JoinPath(path, n));
    }
    return out;
  }
  ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(path));
  if (!j.is_object() || !j.contains("scenarios")) return std::vector<std::string>{path};
  if (!j["scenarios"].is_array())
    return Status::InvalidArgument(path + ": $.scenarios: expected an array");
  std::vector<std::string> out;
  for (size_t i = 0; i < j["scenarios"].size(); ++i) {
    const auto& s = j["scenarios"][i];
    if (!s.is_string()) {
      return Status::InvalidArgument(path + ": $.scenarios[" + std::to_string(i) +
                                     "]: expected a file name");
    }
    std::string p = s.get<std::string>();
    out.push_back(p.empty() || p[0] == '/' ? p : JoinPath(DirName(path), p));
  }
  return out;
}

struct SuiteEntry {
  std::string scenario;
  std::vector<RunOutcome> outcomes;
  std::string error;    // a harness error: no outcomes
  std::string skipped;  // why this machine cannot run it: no outcomes, not a failure
  std::map<std::string, std::string> shrunk;  // mode -> what its shrink found, or why not
};

// One case per scenario and mode (one per scenario that could not run), with the anomaly
// summary from each run's results.json.
std::vector<reports::SuiteCase> Cases(const std::vector<SuiteEntry>& entries) {
  std::vector<reports::SuiteCase> cases;
  for (const auto& e : entries) {
    if (!e.error.empty() || !e.skipped.empty()) {
      reports::SuiteCase c;
      c.scenario = e.scenario;
      c.error = e.error;
      c.skipped = e.skipped;
      cases.push_back(std::move(c));
    }
    for (const auto& o : e.outcomes) {
      reports::SuiteCase c;
      c.scenario = e.scenario;
      c.mode = o.mode;
      c.verdict = std::string(checkers::VerdictName(o.verdict));
      c.expected = o.expected;
      c.as_expected = o.as_expected();
      c.run_dir = o.run_dir;
      c.anomalies = reports::AnomalySummaryOfRun(o.run_dir);
      if (auto it = e.shrunk.find(o.mode); it != e.shrunk.end()) c.anomalies += "; " + it->second;
      c.summary = o.summary;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

}  // namespace

int RunSuite(const std::vector<std::string>& args, const SuiteShrinker& shrink) {
  Flags flags;
  flags.Value("shard")
      .Value("junit")
      .Value("store")
      .Value("seed")
      .Switch("shrink")
      .Value("shrink-budget")
      .Switch("help");
  if (Status s = flags.Parse(args); !s.ok() || flags.positional().empty()) {
    std::fprintf(stderr, "faultline suite: %s\n%s",
                 s.ok() ? "expected at least one PATH" : s.message().c_str(), kUsage);
    return 2;
  }
  int shard = 0, shards = 1;
  if (auto sh = flags.Get("shard")) {
    if (std::sscanf(sh->c_str(), "%d/%d", &shard, &shards) != 2 || shards < 1 || shard < 1 ||
        shard > shards) {
      std::fprintf(stderr, "faultline suite: --shard expects I/N with 1 <= I <= N\n");
      return 2;
    }
    --shard;
  }
  std::vector<std::string> files;
  for (const auto& p : flags.positional()) {
    auto expanded = Expand(p);
    if (!expanded.ok()) {
      std::fprintf(stderr, "faultline suite: %s\n", expanded.status().ToString().c_str());
      return 2;
    }
    files.insert(files.end(), expanded->begin(), expanded->end());
  }
  auto seed = flags.GetInt("seed");
  if (!seed.ok()) {
    std::fprintf(stderr, "faultline suite: %s\n", seed.status().message().c_str());
    return 2;
  }
  auto shrink_budget = flags.GetInt("shrink-budget");
  if (!shrink_budget.ok() || shrink_budget->value_or(1) < 1) {
    std::fprintf(stderr, "faultline suite: --shrink-budget: expected a number of runs >= 1\n");
    return 2;
  }
  SetLogTag("faultline");
  // index.html, summary.md and the minimal scenarios go beside the JUnit file, else into the
  // store.
  const std::string junit = flags.GetOr("junit", "");
  const std::string out_dir = junit.empty() ? flags.GetOr("store", "store") : DirName(junit);
  std::vector<SuiteEntry> entries;
  int worst = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(shards)) != shard) continue;
    SuiteEntry entry;
    entry.scenario = files[i];
    auto scenario = LoadScenario(files[i]);
    // What this machine cannot do is skipped, with the reason (netns and faultfs need root).
    Status supported =
        scenario.ok() ? systems::Network::Supported(scenario->network) : Status::Ok();
    if (supported.ok() && scenario.ok() && scenario->faultfs)
      supported = systems::FaultFsMounts::Supported(systems::FaultFsBinary());
    if (!supported.ok()) {
      entry.scenario = scenario->name;
      entry.skipped = supported.message();
      FL_LOG(Warning) << entry.scenario << ": skipped: " << entry.skipped;
    } else if (scenario.ok()) {
      entry.scenario = scenario->name;
      RunOptions options;
      options.scenario_path = files[i];
      options.store_dir = flags.GetOr("store", "store");
      if (seed->has_value()) options.seed = static_cast<uint64_t>(**seed);
      auto outcomes = RunScenario(std::move(*scenario), options);
      if (outcomes.ok()) {
        entry.outcomes = std::move(*outcomes);
      } else {
        entry.error = outcomes.status().ToString();
      }
    } else {
      entry.error = scenario.status().ToString();
    }
    if (!entry.error.empty()) {
      worst = 2;
      FL_LOG(Error) << entry.scenario << ": " << entry.error;
    }
    for (const auto& o : entry.outcomes) {
      if (!o.as_expected())
        worst = std::max(worst, o.verdict == checkers::Verdict::kUnknown ? 2 : 1);
    }
    if (flags.Has("shrink")) {
      for (const auto& o : entry.outcomes) {
        if (o.as_expected() || o.verdict != checkers::Verdict::kInvalid) continue;
        const std::string minimal = JoinPath(out_dir, entry.scenario + "." + o.mode + ".min.json");
        FL_LOG(Warning) << entry.scenario << " " << o.mode << " failed: shrinking " << o.run_dir;
        auto found = shrink(
            o.run_dir, static_cast<int>(shrink_budget->value_or(kDefaultShrinkBudget)), minimal);
        entry.shrunk[o.mode] = found.ok() ? "smallest reproduction " + minimal + ": " + *found
                                          : "not shrunk: " + found.status().ToString();
        FL_LOG(Warning) << entry.scenario << " " << o.mode << ": " << entry.shrunk[o.mode];
      }
    }
    entries.push_back(std::move(entry));
  }
  std::printf("\n%-28s %-15s %-8s %-9s %s\n", "scenario", "mode", "verdict", "expected", "run");
  for (const auto& e : entries) {
    if (!e.error.empty() || !e.skipped.empty())
      std::printf("%-28s %-15s %-8s %-9s %s\n", e.scenario.c_str(), "-",
                  e.error.empty() ? "skipped" : "error", "-",
                  (e.error.empty() ? e.skipped : e.error).c_str());
    for (const auto& o : e.outcomes) {
      std::printf("%-28s %-15s %-8s %-9s %s\n", e.scenario.c_str(), o.mode.c_str(),
                  std::string(checkers::VerdictName(o.verdict)).c_str(),
                  o.as_expected() ? "yes" : ("no: " + o.expected).c_str(), o.run_dir.c_str());
    }
  }
  if (Status s = reports::WriteSuiteReports(Cases(entries), out_dir, junit); !s.ok()) {
    std::fprintf(stderr, "faultline suite: %s\n", s.ToString().c_str());
    return 2;
  }
  std::printf("\nsuite report: %s\nsummary: %s\n", JoinPath(out_dir, "index.html").c_str(),
              JoinPath(out_dir, "summary.md").c_str());
  if (!junit.empty()) std::printf("junit: %s\n", junit.c_str());
  return worst;
}

}  // namespace faultline::harness
