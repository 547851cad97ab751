// Micro benchmarks of the checkers: parsing history lines, checking parsed histories, and the
// whole `faultline check` path (read + check) on synthetic histories of 1M and 10M events,
// run in a child process so that its peak RSS is the checker's own.
//
//   build/release/bench/checker_bench --benchmark_filter=CheckFile
//
// Counters: events_per_s (history lines per wall second), events_per_cpu_s, peak_rss_mb.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "base/clock.h"
#include "base/file.h"
#include "base/test_util.h"
#include "checkers/check.h"
#include "checkers/history.h"
#include "checkers/synthetic_history.h"

namespace faultline::checkers {
namespace {

// A synthetic history of about `events` lines: half inputs, half committed outputs.
SyntheticOptions Options(int64_t events, JobKind job) {
  SyntheticOptions o;
  o.job = job;
  o.mode = Mode::kExactlyOnce;
  o.uncommitted_view = false;
  o.inputs = job == JobKind::kCount ? events / 2 : events;
  o.keys = 1000;
  o.partitions = 8;
  o.interval_ns = 20'000;  // 50k inputs/s
  o.window_size = 1000;
  return o;
}

std::string SyntheticText(int64_t events, JobKind job) {
  SyntheticOptions o = Options(events, job);
  std::string text;
  GenerateSyntheticHistory(o, [&](const HistoryLine& line) { AppendHistoryLine(line, o, &text); });
  return text;
}

void BM_ParseHistory(benchmark::State& state) {
  const std::string text = SyntheticText(state.range(0), JobKind::kCount);
  uint64_t lines = 0;
  for (auto _ : state) {
    auto h = ParseHistory(text);
    if (!h.ok()) state.SkipWithError(h.status().ToString().c_str());
    lines = h.ok() ? h->lines : 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseHistory)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_Check(benchmark::State& state) {
  const auto job = static_cast<JobKind>(state.range(1));
  auto h = ParseHistory(SyntheticText(state.range(0), job));
  if (!h.ok()) {
    state.SkipWithError(h.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    CheckResult r = Check(*h);
    benchmark::DoNotOptimize(r.verdict);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * h->lines));
}
BENCHMARK(BM_Check)
    ->Args({100'000, static_cast<int>(JobKind::kCount)})
    ->Args({100'000, static_cast<int>(JobKind::kWindowCount)})
    ->Unit(benchmark::kMillisecond);

// Read + check of a synthetic history file in a child process; reports its wall time and
// peak RSS. The file is generated (untimed) in $TMPDIR and removed afterwards.
void BM_CheckFile(benchmark::State& state) {
  TempDir dir;
  const std::string path = dir.File("history.jsonl");
  auto lines = WriteSyntheticHistory(path, Options(state.range(0), JobKind::kCount));
  if (!lines.ok()) {
    state.SkipWithError(lines.status().ToString().c_str());
    return;
  }
  double seconds = 0;
  double cpu_seconds = 0;
  long peak_kb = 0;
  for (auto _ : state) {
    Stopwatch watch;
    pid_t pid = ::fork();
    if (pid == 0) {
      auto h = ReadHistoryFile(path);
      if (!h.ok()) ::_exit(3);
      ::_exit(Check(*h).ExitCode());
    }
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    seconds = watch.ElapsedSeconds();
    state.SetIterationTime(seconds);
    peak_kb = usage.ru_maxrss;
    cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) state.SkipWithError("check failed");
  }
  state.counters["events"] = static_cast<double>(*lines);
  state.counters["events_per_s"] = static_cast<double>(*lines) / seconds;
  // On a shared machine the wall time includes waiting for a core; CPU time does not.
  state.counters["cpu_s"] = cpu_seconds;
  state.counters["events_per_cpu_s"] = static_cast<double>(*lines) / cpu_seconds;
  state.counters["peak_rss_mb"] = static_cast<double>(peak_kb) / 1024.0;
  state.counters["file_mb"] = static_cast<double>(*FileSize(path)) / 1e6;
}
BENCHMARK(BM_CheckFile)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace faultline::checkers
