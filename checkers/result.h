#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkers/history.h"

namespace faultline::checkers {

// At most this many examples are kept per anomaly kind.
constexpr size_t kMaxExamples = 20;

// Anomaly is one figure of a checker (`lost`, `count-repeat`, ...): how many were found, and
// the first kMaxExamples of them with their context. A value type; thread-compatible.
struct Anomaly {
  std::string name;
  int64_t count = 0;
  std::vector<nlohmann::json> examples;

  // Counts one more; `make_example()` is called only while examples are still being kept.
  template <typename F>
  void Note(F make_example) {
    ++count;
    if (examples.size() < kMaxExamples) examples.push_back(make_example());
  }
  // Counts `n` more found together, described by one example.
  template <typename F>
  void NoteMany(int64_t n, F make_example) {
    if (n <= 0) return;
    count += n;
    if (examples.size() < kMaxExamples) examples.push_back(make_example());
  }
};

// CheckerResult is one checker's outcome: its anomalies, whether they are acceptable under the
// run's mode (`valid`), and extra figures (`details`) that are not anomalies. A value type.
struct CheckerResult {
  std::string name;        // "delivery", "state", ...
  bool applicable = true;  // false: the job has nothing this checker judges (state of windows)
  bool valid = true;       // against the mode's expectation
  std::vector<Anomaly> anomalies;
  nlohmann::json details = nlohmann::json::object();

  // A checker named `checker_name` with the given anomaly kinds, each at zero, in that order.
  static CheckerResult Make(std::string checker_name, std::initializer_list<const char*> kinds);
  const Anomaly* Find(std::string_view anomaly_name) const;
  Anomaly* Find(std::string_view anomaly_name);
  int64_t Count(std::string_view anomaly_name) const;  // 0 when absent
  // No anomaly of any kind, whatever the mode.
  bool clean() const;
};

enum class Verdict { kValid, kInvalid, kUnknown };
std::string_view VerdictName(Verdict v);  // "valid", "invalid", "unknown"

// Figures about the history itself.
struct HistoryStats {
  uint64_t lines = 0;
  uint64_t inputs = 0;
  uint64_t outputs = 0;  // output lines, committed or not
  uint64_t uncommitted_outputs = 0;
  uint64_t windows = 0;  // window lines, committed or not
  uint64_t faults = 0;
  uint64_t checkpoints = 0;
  int64_t end_t = 0;
};

// CheckResult is the verdict on one history and every checker's findings. A value type.
struct CheckResult {
  Verdict verdict = Verdict::kUnknown;
  std::optional<Mode> mode;
  JobKind job = JobKind::kCount;
  std::string scenario;
  std::optional<uint64_t> seed;
  std::vector<std::string> unknown_reasons;  // why the verdict is unknown
  HistoryStats stats;
  std::vector<CheckerResult> checkers;  // delivery, state, order, windows, visibility,
                                        // availability

  const CheckerResult* Find(std::string_view checker) const;
  // A figure by its dotted name ("delivery.lost", "state.count-repeat"); 0 when absent.
  int64_t Figure(std::string_view dotted) const;
  // Exit status of `faultline check`: 0 valid, 1 invalid, 2 unknown.
  int ExitCode() const;
};

}  // namespace faultline::checkers
