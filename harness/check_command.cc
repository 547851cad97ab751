// `faultline check RUN_DIR|HISTORY.jsonl [--mode M] [--out FILE]`: re-checks a stored history
// with no runtime present, writes results.json and prints a short summary.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/flags.h"
#include "checkers/check.h"
#include "checkers/history.h"
#include "checkers/results_json.h"
#include "harness/commands.h"

namespace faultline::harness {
namespace {

constexpr const char* kUsage =
    "usage: faultline check RUN_DIR|HISTORY.jsonl [--mode M] [--out FILE]\n"
    "  Checks a recorded history and writes results.json beside it (or to --out FILE).\n"
    "  --mode M    at-most-once, at-least-once or exactly-once (default: the history's)\n"
    "Exit status: 0 valid, 1 invalid, 2 unknown or unreadable input.\n";

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "faultline check: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int RunCheckCommand(const std::vector<std::string>& args) {
  Flags flags;
  flags.Value("mode").Value("out").Switch("help");
  Status parsed = flags.Parse(args);
  if (!parsed.ok()) return UsageError(parsed.message());
  if (flags.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (flags.positional().size() != 1) return UsageError("expected one RUN_DIR or HISTORY.jsonl");
  checkers::CheckOptions options;
  if (auto mode = flags.Get("mode")) {
    options.mode = checkers::ParseMode(*mode);
    if (!options.mode) return UsageError("unknown mode '" + *mode + "'");
  }
  const std::string& target = flags.positional()[0];
  const std::string history_path = IsDirectory(target) ? JoinPath(target, "history.jsonl") : target;

  Stopwatch watch;
  auto history = checkers::ReadHistoryFile(history_path);
  if (!history.ok()) {
    std::fprintf(stderr, "faultline check: %s\n", history.status().ToString().c_str());
    return 2;
  }
  checkers::CheckResult result = checkers::Check(*history, options);
  const std::string out = flags.GetOr("out", JoinPath(DirName(history_path), "results.json"));
  Status written = checkers::WriteResultsJson(out, result, history_path);
  if (!written.ok()) {
    std::fprintf(stderr, "faultline check: writing results: %s\n", written.ToString().c_str());
    return 2;
  }
  std::fputs(checkers::FormatSummary(result).c_str(), stdout);
  std::printf("results: %s  (%llu lines checked in %.2f s)\n", out.c_str(),
              static_cast<unsigned long long>(history->lines), watch.ElapsedSeconds());
  return result.ExitCode();
}

}  // namespace faultline::harness
