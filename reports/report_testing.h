#pragma once

// Test helpers: run directories and RunData made from history text. Tests only.

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "checkers/check.h"
#include "checkers/history.h"
#include "checkers/results_json.h"
#include "reports/run_report.h"
#include "reports/timeline.h"

namespace faultline::reports::testing {

// A JSON string literal for `s` (invalid UTF-8 replaced), for building history lines.
inline std::string Quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline void Die(const Status& s) {
  std::fprintf(stderr, "test helper: %s\n", s.ToString().c_str());
  std::abort();
}

// The RunData a report is drawn from, built in memory from history text; a parse error is a
// test bug and aborts.
inline RunData MakeRun(const std::string& history, const std::string& run_dir = "run") {
  auto h = checkers::ParseHistory(history);
  if (!h.ok()) Die(h.status());
  auto timeline = ParseTimeline(history);
  if (!timeline.ok()) Die(timeline.status());
  RunData run;
  run.run_dir = run_dir;
  run.results = checkers::ResultsToJson(checkers::Check(*h), run_dir + "/history.jsonl");
  run.timeline = std::move(*timeline);
  return run;
}

// Writes RUN_DIR/history.jsonl and the results.json that `faultline check` would write.
inline void WriteRunDir(const std::string& run_dir, const std::string& history) {
  if (Status s = CreateDirs(run_dir); !s.ok()) Die(s);
  std::string path = JoinPath(run_dir, "history.jsonl");
  if (Status s = WriteFileAtomic(path, history); !s.ok()) Die(s);
  auto h = checkers::ParseHistory(history);
  if (!h.ok()) Die(h.status());
  if (Status s =
          checkers::WriteResultsJson(JoinPath(run_dir, "results.json"), checkers::Check(*h), path);
      !s.ok())
    Die(s);
}

// Occurrences of `needle` in `haystack`.
inline int CountOf(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

}  // namespace faultline::reports::testing
