// `faultline bench`: the macro benchmarks, a table and bench.json.
#include "bench/macro/bench_command.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/file.h"
#include "base/flags.h"
#include "base/logging.h"
#include "base/rng.h"
#include "bench/macro/macro_bench.h"
#include "systems/node_process.h"

namespace faultline::bench {
namespace {

constexpr const char* kUsage =
    "usage: faultline bench [--quick] [--out FILE] [--only LIST] [--seed N] [--work-dir DIR] "
    "[--keep]\n"
    "  Runs the macro benchmarks one after another, prints a table and writes JSON (default\n"
    "  bench.json). See docs/benchmarks.md.\n"
    "  --quick      smaller sizes (CI): 8M records per mode and round, 1M checker events\n"
    "  --tiny       smallest sizes, for the smoke test (numbers meaningless)\n"
    "  --only LIST  comma-separated subset of: loopback,throughput,checkpoint,recovery,checker,"
    "harness,faultfs,shrink\n"
    "  --work-dir   scratch directory (default: a fresh one under $TMPDIR); --keep keeps it\n"
    "Exit status: 0 every benchmark ran (targets met or not), 1 one failed, 2 bad usage.\n";

const char* const kAll[] = {"loopback", "throughput", "checkpoint", "recovery",
                            "checker",  "harness",    "faultfs",    "shrink"};

std::string SelfPath() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "faultline";
  self[n] = '\0';
  return self;
}

std::string FirstLineWith(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      auto colon = line.find(':');
      std::string v = colon == std::string::npos ? line : line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

nlohmann::json Machine() {
  utsname u{};
  ::uname(&u);
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", FirstLineWith("/proc/cpuinfo", "model name")},
          {"memory", FirstLineWith("/proc/meminfo", "MemTotal")},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"load_average_at_start", {load[0], load[1], load[2]}}};
}

double Num(const nlohmann::json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].is_object() || !j[a].contains(b) || !j[a][b].is_number()) return -1;
  return j[a][b].get<double>();
}

// A measured figure's spread over interleaved runs, when it has one: {min, max}.
std::optional<std::pair<double, double>> SpreadAt(const nlohmann::json& r, const char* pointer) {
  const nlohmann::json::json_pointer at(pointer);
  if (!r.contains(at) || !r[at].contains("min") || !r[at].contains("max")) return std::nullopt;
  return std::make_pair(r[at]["min"].get<double>(), r[at]["max"].get<double>());
}

// The targets of docs/benchmarks.md against this run's numbers. A target measured over
// interleaved runs carries their min and max, and `straddles` when the goal lies inside them:
// the verdict of the median is then one the next run may reverse.
nlohmann::json Targets(const nlohmann::json& r) {
  nlohmann::json out = nlohmann::json::array();
  auto add = [&](const char* name, const char* target, double value, bool met,
                 std::optional<std::pair<double, double>> spread = std::nullopt, double goal = 0) {
    if (value < 0) return;  // not measured in this run
    nlohmann::json t = {{"target", name}, {"goal", target}, {"value", value}, {"met", met}};
    if (spread) {
      t["min"] = spread->first;
      t["max"] = spread->second;
      t["straddles"] = spread->first < goal && goal < spread->second;
    }
    out.push_back(std::move(t));
  };
  double alo = Num(r, "throughput", "at_least_once");
  add("at-least-once records/s, 2 workers", ">= 1000000", alo, alo >= 1'000'000,
      SpreadAt(r, "/throughput/spread/at_least_once"), 1'000'000);
  double ratio = Num(r, "throughput", "exactly_once_over_at_least_once");
  add("exactly-once / at-least-once", ">= 0.9", ratio, ratio >= 0.9,
      SpreadAt(r, "/throughput/ratios/exactly_once_over_at_least_once"), 0.9);
  double amo = Num(r, "throughput", "at_most_once_over_at_least_once");
  add("at-most-once / at-least-once", ">= 1", amo, amo >= 1,
      SpreadAt(r, "/throughput/ratios/at_most_once_over_at_least_once"), 1);
  double det = Num(r, "recovery", "detection_ms");
  add("failure detection ms (SIGKILL)", "<= 1000", det, det <= 1000);
  double silent = Num(r, "recovery", "detection_silent_ms");
  add("failure detection ms (SIGSTOP)", "<= 1000", silent, silent <= 1000);
  // Kill -> new output within 2x (detection + restart + restore + one checkpoint interval);
  // job_running_ms covers the first three.
  double out_ms = Num(r, "recovery", "kill_to_output_ms");
  double bound = 2 * (Num(r, "recovery", "job_running_ms") + 1000);
  add("kill -> first new output ms", "<= 2x (kill -> running + 1 s)", out_ms, out_ms <= bound);
  double ffs = Num(r, "faultfs", "faultfs_over_raw");
  add("exactly-once on faultfs / on a raw directory", ">= 0.5", ffs, ffs >= 0.5,
      SpreadAt(r, "/faultfs/ratio"), 0.5);
  double eps = Num(r, "checker", "events_per_s");
  double events = Num(r, "checker", "events");
  if (events >= 10'000'000) {
    double wall = Num(r, "checker", "wall_s");
    add("checker wall s at 10M events", "<= 3", wall, wall <= 3,
        SpreadAt(r, "/checker/spread/wall_s"), 3);
    double rss = Num(r, "checker", "peak_rss_mb");
    add("checker peak RSS MB at 10M events", "<= 500", rss, rss <= 500,
        SpreadAt(r, "/checker/spread/peak_rss_mb"), 500);
  } else if (eps > 0) {  // smaller runs: the same rate, 10M events in 3 s
    add("checker events/s (10M in <= 3 s)", ">= 3333333", eps, eps >= 10'000'000 / 3.0);
  }
  if (r.contains("checkpoint") && r["checkpoint"].contains("incremental")) {
    const auto& inc = r["checkpoint"]["incremental"];
    const double second = inc["second_over_first"]["median"].get<double>();
    add("incremental checkpoint bytes / full (10% of keys changed)", "<= 0.2", second,
        second <= 0.2, SpreadAt(r, "/checkpoint/incremental/second_over_first"), 0.2);
    const double restore = inc["restore_incremental_over_full"]["median"].get<double>();
    const bool within_noise =
        inc["restore_incremental_over_full"].value("spread_wider_than_gap", false);
    add("restore: incremental / full snapshot", "<= 1 (or within spread)", restore,
        restore <= 1 || within_noise,
        SpreadAt(r, "/checkpoint/incremental/restore_incremental_over_full"), 1);
  }
  double harness = Num(r, "harness", "overhead_ms");
  add("harness overhead ms (empty scenario)", "<= 200", harness, harness <= 200);
  if (r.contains("shrink") && r["shrink"].contains("spread")) {
    // Every shrink must meet them, so the worst run is the figure.
    const double left = r["shrink"]["spread"]["final_faults"]["max"].get<double>();
    add("shrink: faults left of 11 (one reveals the bug)", "<= 2", left, left <= 2,
        SpreadAt(r, "/shrink/spread/final_faults"), 2);
    const double tries = r["shrink"]["spread"]["tries"]["max"].get<double>();
    add("shrink: tries in all", "<= 40", tries, tries <= 40, SpreadAt(r, "/shrink/spread/tries"),
        40);
  }
  return out;
}

void PrintTable(const nlohmann::json& r) {
  auto row = [](const std::string& name, const std::string& value) {
    std::printf("  %-44s %s\n", name.c_str(), value.c_str());
  };
  auto fmt = [](const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), f, v);
    return std::string(buf);
  };
  std::printf("\nfaultline bench (%s, seed %llu)\n", r["config"]["size"].get<std::string>().c_str(),
              static_cast<unsigned long long>(r["config"]["seed"].get<uint64_t>()));
  // "median (min-max)" of a SpreadJson or RatioJson object.
  auto spread = [&](const char* f, const nlohmann::json& s) {
    return fmt(f, s["median"].get<double>()) + " (" + fmt(f, s["min"].get<double>()) + "-" +
           fmt(f, s["max"].get<double>()) + ")";
  };
  if (r.contains("throughput") && r["throughput"].contains("spread")) {
    const auto& t = r["throughput"];
    std::printf(
        "throughput (keyed count, 2 workers, 1 s checkpoints, memory state; median (min-max) of "
        "%d interleaved rounds)\n",
        t["detail"]["setup"]["rounds"].get<int>());
    for (const char* m : {"at_most_once", "at_least_once", "exactly_once"})
      row(std::string(m) + " records/s", spread("%.0f", t["spread"][m]));
    for (const auto& [name, ratio] : t["ratios"].items()) {
      row(name, spread("%.2f", ratio) + (ratio["spread_wider_than_gap"].get<bool>()
                                             ? "  spread wider than the gap to 1"
                                             : ""));
    }
  }
  if (r.contains("throughput") && r["throughput"].contains("loopback_reference")) {
    row("loopback 100-byte msgs/s (1 per write)",
        fmt("%.0f", r["throughput"]["loopback_reference"].get<double>()));
    row("loopback 100-byte msgs/s (256 per write)",
        fmt("%.0f", r["throughput"]["loopback_batched"].get<double>()));
  }
  if (r.contains("faultfs") && r["faultfs"].contains("faultfs_over_raw")) {
    const auto& f = r["faultfs"];
    std::printf("faultfs (exactly-once, interleaved raw / faultfs runs)\n");
    row("raw directory records/s (median)", fmt("%.0f", f["raw_records_per_s"].get<double>()));
    row("faultfs records/s (median)", fmt("%.0f", f["faultfs_records_per_s"].get<double>()));
    if (f.contains("write_fsync")) {
      for (const char* side : {"raw", "faultfs"}) {
        const auto& w = f["write_fsync"][side];
        row(std::string("4 KiB write+fdatasync on ") + side,
            fmt("%.0f ops/s", w["ops_per_s"].get<double>()) +
                fmt(", p50 %.0f us", w["p50_us"].get<double>()) +
                fmt(", p99 %.0f us", w["p99_us"].get<double>()));
      }
    }
    row("faultfs / raw (median, min-max)", spread("%.2f", f["ratio"]));
  }
  if (r.contains("checkpoint") && r["checkpoint"].contains("memory")) {
    std::printf("checkpoint (snapshot of one backend; restore = open from it)\n");
    for (const char* b : {"memory", "rocksdb"}) {
      for (const auto& c : r["checkpoint"][b]) {
        row(std::string(b) + " " + std::to_string(c["keys"].get<int64_t>()) + " keys",
            fmt("%.1f ms", c["snapshot_ms"].get<double>()) +
                fmt(", %.2f MB", c["bytes"].get<double>() / 1e6) +
                fmt(", restore %.1f ms", c["restore_ms"].get<double>()));
      }
    }
  }
  if (r.contains("checkpoint") && r["checkpoint"].contains("incremental")) {
    const auto& c = r["checkpoint"]["incremental"];
    std::printf("incremental checkpoints (rocksdb, %lld keys, %.0f%% changed per checkpoint)\n",
                static_cast<long long>(c["keys"].get<int64_t>()), c["changed"].get<double>() * 100);
    row("second checkpoint bytes / first (median, min-max)",
        spread("%.3f", c["second_over_first"]));
    row("later checkpoints / first (mean, max)",
        fmt("%.3f", c["next_over_first_mean"].get<double>()) +
            fmt(", %.3f", c["next_over_first_max"].get<double>()));
    row("restore incremental / full (median, min-max)",
        spread("%.2f", c["restore_incremental_over_full"]));
  }
  if (r.contains("recovery") && r["recovery"].contains("detection_ms")) {
    const auto& c = r["recovery"];
    std::printf("recovery (worker SIGKILL, exactly-once, median of %d)\n", c["kills"].get<int>());
    row("detection ms (SIGKILL: connection reset)", fmt("%.0f", c["detection_ms"].get<double>()));
    row("detection ms (SIGSTOP: heartbeat timeout)",
        fmt("%.0f", c["detection_silent_ms"].get<double>()));
    row("kill -> job running ms", fmt("%.0f", c["job_running_ms"].get<double>()));
    row("kill -> first new committed output ms", fmt("%.0f", c["kill_to_output_ms"].get<double>()));
  }
  if (r.contains("checker") && r["checker"].contains("events_per_s")) {
    const auto& c = r["checker"];
    std::printf("checker (faultline check, %lld synthetic events)\n",
                static_cast<long long>(c["events"].get<int64_t>()));
    row("events/s (wall)", fmt("%.0f", c["events_per_s"].get<double>()));
    row("events/s (cpu)", fmt("%.0f", c["events_per_cpu_s"].get<double>()));
    row("wall s (median, min-max)", spread("%.2f", c["spread"]["wall_s"]));
    row("peak RSS MB (median, min-max)", spread("%.0f", c["spread"]["peak_rss_mb"]));
  }
  if (r.contains("harness") && r["harness"].contains("overhead_ms")) {
    std::printf("harness\n");
    row("empty scenario (spawn + teardown + check) ms",
        fmt("%.0f", r["harness"]["overhead_ms"].get<double>()));
  }
  if (r.contains("shrink") && r["shrink"].contains("spread")) {
    const auto& c = r["shrink"];
    std::printf(
        "shrink (scenarios/shrink-toyq.json: one kill among %d faults, budget %d; "
        "median (min-max) of %zu)\n",
        c["original_faults"].get<int>(), c["budget"].get<int>(), c["runs"].size());
    row("faults left", spread("%.0f", c["spread"]["final_faults"]));
    row("tries", spread("%.0f", c["spread"]["tries"]));
    row("wall s", spread("%.0f", c["spread"]["wall_s"]));
    row("tries per candidate (median)", fmt("%.0f", c["tries_per_candidate"].get<double>()));
    if (c.contains("lying_disk") && c["lying_disk"].contains("spread")) {
      const auto& l = c["lying_disk"];
      std::printf(
          "shrink (scenarios/shrink-lying-disk.json: a lying disk and a power loss among "
          "%d faults; median (min-max) of %zu)\n",
          l["original_faults"].get<int>(), l["runs"].size());
      row("faults left", spread("%.0f", l["spread"]["final_faults"]));
      row("tries", spread("%.0f", l["spread"]["tries"]));
      row("wall s", spread("%.0f", l["spread"]["wall_s"]));
    } else if (c.contains("lying_disk")) {
      row("lying disk", "skipped: " + c["lying_disk"].value("skipped", std::string("?")));
    }
  }
  std::printf("targets (docs/benchmarks.md)\n");
  for (const auto& t : r["targets"]) {
    row(t["target"].get<std::string>() + " " + t["goal"].get<std::string>(),
        fmt("%.2f  ", t["value"].get<double>()) + (t["met"].get<bool>() ? "met" : "MISSED") +
            (t.value("straddles", false) ? " (the goal lies inside the spread of the runs)" : ""));
  }
  for (const auto& [name, error] : r["errors"].items())
    std::printf("ERROR %s: %s\n", name.c_str(), error.get<std::string>().c_str());
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "faultline bench: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

BenchOptions BenchOptions::Quick() {
  BenchOptions o;
  o.throughput_records = 8'000'000;
  o.loopback_seconds = 0.5;
  o.checker_events = 1'000'000;
  o.recovery_kills = 2;
  o.harness_runs = 2;
  o.faultfs_records = 500'000;
  o.shrink_runs = 1;
  o.shrink_faultfs_runs = 0;
  return o;
}

BenchOptions BenchOptions::Tiny() {
  BenchOptions o;
  o.throughput_records = 20'000;
  o.throughput_keys = 100;
  o.loopback_seconds = 0.2;
  o.checkpoint_keys = {1000};
  o.incremental_keys = 2000;
  o.incremental_checkpoints = 2;
  o.incremental_rounds = 1;
  o.recovery_rate = 1000;
  o.recovery_kills = 1;
  o.checker_events = 10'000;
  o.checker_runs = 1;
  o.harness_runs = 1;
  o.faultfs_records = 20'000;
  o.faultfs_repeats = 1;
  o.throughput_rounds = 1;
  o.shrink_runs = 1;
  o.shrink_budget = 2;  // the path end to end; far too few tries to shrink
  o.shrink_faultfs_runs = 0;
  return o;
}

int RunBenchCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Switch("quick").Switch("tiny").Switch("keep").Switch("help");
  flags.Value("out").Value("only").Value("seed").Value("work-dir");
  if (Status s = flags.Parse(args); !s.ok()) return Usage(s.message());
  if (flags.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!flags.positional().empty()) return Usage("unexpected argument " + flags.positional()[0]);
  SetLogTag("bench");
  BenchOptions o = flags.Has("tiny")    ? BenchOptions::Tiny()
                   : flags.Has("quick") ? BenchOptions::Quick()
                                        : BenchOptions();
  std::string size = flags.Has("tiny") ? "tiny" : flags.Has("quick") ? "quick" : "full";
  auto seed = flags.GetInt("seed");
  if (!seed.ok()) return Usage(seed.status().message());
  o.seed = ChooseSeed(seed->has_value() ? std::optional<uint64_t>(**seed) : std::nullopt);
  o.keep = flags.Has("keep");
  o.self_binary = SelfPath();
  o.node_binary = JoinPath(DirName(o.self_binary), "faultline-node");
  std::set<std::string> only;
  if (auto list = flags.Get("only")) {
    size_t pos = 0;
    while (pos <= list->size()) {
      size_t comma = list->find(',', pos);
      if (comma == std::string::npos) comma = list->size();
      std::string item = list->substr(pos, comma - pos);
      if (std::find(std::begin(kAll), std::end(kAll), item) == std::end(kAll))
        return Usage("--only: unknown benchmark '" + item + "'");
      only.insert(item);
      pos = comma + 1;
    }
  } else {
    only.insert(std::begin(kAll), std::end(kAll));
  }
  bool own_work_dir = false;  // only a directory we created is removed
  if (auto dir = flags.Get("work-dir")) {
    o.work_dir = *dir;
    if (Status s = CreateDirs(o.work_dir); !s.ok()) return Usage(s.ToString());
  } else {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        JoinPath(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "faultline-bench-XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) return Usage("mkdtemp " + tmpl + " failed");
    o.work_dir = tmpl;
    own_work_dir = true;
  }
  const std::string out = flags.GetOr("out", "bench.json");
  systems::BecomeSubreaper();  // a grandchild orphaned by a dying node dies with us

  nlohmann::json r;
  r["machine"] = Machine();
  r["config"] = {{"size", size},
                 {"seed", o.seed},
                 {"throughput_records", o.throughput_records},
                 {"checker_events", o.checker_events},
                 {"work_dir", o.work_dir}};
  r["errors"] = nlohmann::json::object();
  FL_LOG(Info) << "faultline bench (" << size << "), seed " << o.seed << ", work dir "
               << o.work_dir;
  Stopwatch total;
  auto run = [&](const char* name, const char* key,
                 const std::function<Result<nlohmann::json>()>& bench) {
    if (only.count(name) == 0) return;
    FL_LOG(Info) << "== " << name;
    Stopwatch watch;
    auto result = bench();
    if (!result.ok()) {
      FL_LOG(Error) << name << ": " << result.status().ToString();
      r["errors"][name] = result.status().ToString();
      return;
    }
    if (!r.contains(key)) r[key] = nlohmann::json::object();
    r[key].update(*result);
    r["seconds"][name] = watch.ElapsedSeconds();
  };
  run("loopback", "throughput", [&] { return MeasureLoopback(o.loopback_seconds); });
  run("throughput", "throughput", [&] { return MeasureThroughput(o); });
  run("checkpoint", "checkpoint", [&] { return MeasureCheckpoints(o); });
  run("recovery", "recovery", [&] { return MeasureRecovery(o); });
  run("checker", "checker", [&] { return MeasureChecker(o); });
  run("harness", "harness", [&] { return MeasureHarnessOverhead(o); });
  run("faultfs", "faultfs", [&] { return MeasureFaultFs(o); });
  run("shrink", "shrink", [&] { return MeasureShrink(o); });
  r["seconds"]["total"] = total.ElapsedSeconds();
  r["targets"] = Targets(r);

  PrintTable(r);
  Status written = WriteFileAtomic(out, r.dump(2) + "\n");
  if (!written.ok()) {
    std::fprintf(stderr, "faultline bench: %s\n", written.ToString().c_str());
    return 1;
  }
  std::printf("results: %s\n", out.c_str());
  bool failed = !r["errors"].empty();
  if (failed || o.keep || !own_work_dir) {
    std::printf("work dir kept: %s\n", o.work_dir.c_str());
  } else {
    (void)RemoveAll(o.work_dir);
  }
  return failed ? 1 : 0;
}

}  // namespace faultline::bench
