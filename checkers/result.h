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

// The checkers, in the order results list them; checkers/registry.h describes each.
enum class CheckerId : uint8_t { kDelivery, kState, kOrder, kWindows, kVisibility, kAvailability };
inline constexpr CheckerId kAllCheckers[] = {CheckerId::kDelivery,   CheckerId::kState,
                                             CheckerId::kOrder,      CheckerId::kWindows,
                                             CheckerId::kVisibility, CheckerId::kAvailability};

// Anomaly is one figure of a checker (`lost`, `count-repeat`, ...): how many were found, the
// first kMaxExamples of them with their context, and whether they fail the run under its mode
// (set by JudgeChecker(), checkers/verdict.h). A value type; thread-compatible.
struct Anomaly {
  std::string name;
  int64_t count = 0;
  std::vector<nlohmann::json> examples;
  bool fails = false;  // count > 0 and the mode forbids this kind

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
  std::string name;  // "delivery", "state", ...
  CheckerId id = CheckerId::kDelivery;
  bool applicable = true;  // false: the job has nothing this checker judges (state of windows),
                           // or the checker was not selected
  bool selected = true;    // false: left out by the scenario's `checks`; never run
  bool valid = true;       // against the mode's expectation: no anomaly `fails`
  std::vector<Anomaly> anomalies;
  nlohmann::json details = nlohmann::json::object();

  // A checker named `checker_name` with the given anomaly kinds, each at zero, in that order.
  // Checkers use NewCheckerResult() (checkers/registry.h), which takes the kinds from the
  // registry.
  static CheckerResult Make(std::string checker_name, std::initializer_list<const char*> kinds);
  const Anomaly* Find(std::string_view anomaly_name) const;
  Anomaly* Find(std::string_view anomaly_name);
  int64_t Count(std::string_view anomaly_name) const;  // 0 when absent
  // No anomaly of any kind, whatever the mode.
  bool clean() const;
};

enum class Verdict { kValid, kInvalid, kUnknown };
std::string_view VerdictName(Verdict v);                     // "valid", "invalid", "unknown"
std::optional<Verdict> ParseVerdict(std::string_view name);  // the inverse

// Figures about the history itself.
struct HistoryStats {
  uint64_t lines = 0;
  uint64_t inputs = 0;  // input lines, whatever their status
  uint64_t inputs_ok = 0;
  uint64_t inputs_failed = 0;
  uint64_t inputs_unknown = 0;
  uint64_t outputs = 0;  // output lines, committed or not
  uint64_t uncommitted_outputs = 0;
  uint64_t windows = 0;        // window lines, committed or not
  uint64_t faults = 0;         // fault intervals
  uint64_t failed_faults = 0;  // fault lines with phase `failed`
  uint64_t checkpoints = 0;
  int64_t end_t = 0;
};

// CheckResult is the verdict on one history and every checker's findings. A value type.
struct CheckResult {
  Verdict verdict = Verdict::kUnknown;
  std::optional<Mode> mode;
  JobKind job = JobKind::kCount;
  std::string scenario;
  std::string system;  // the meta line's `system`; "" when it names none
  std::optional<uint64_t> seed;
  std::vector<std::string> unknown_reasons;  // why the verdict is unknown
  // Some of those reasons are about the request, not the run (no mode, an unknown checker):
  // then nothing found decides the verdict.
  bool request_unjudgeable = false;
  HistoryStats stats;
  std::vector<FailedFault> failed_faults;  // injections that did not take effect
  // Restores past the newest checkpoint: a fallback or a rollback; their replay duplicates.
  std::vector<RestoreBackEvent> restores_went_back;
  std::vector<CheckerResult> checkers;  // delivery, state, order, windows, visibility,
                                        // availability

  const CheckerResult* Find(std::string_view checker) const;
  // A figure by its dotted name ("delivery.lost", "state.count-repeat"); 0 when absent.
  int64_t Figure(std::string_view dotted) const;
  // Exit status of `faultline check`: ExitCodeFor(verdict) (checkers/verdict.h).
  int ExitCode() const;
};

}  // namespace faultline::checkers
