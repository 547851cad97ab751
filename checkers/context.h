#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "checkers/history.h"

namespace faultline::checkers {

// ContextBuilder adds to an anomaly's example where it sits in the run: the input (when it
// was sent, its partition and offset, and the send's outcome when it was not `ok`), the faults
// active between the input and the end of the example's span (failed injections are none),
// the checkpoints completed just before and after, and the delivery latency when the record
// was delivered. Holds a reference to the history, which must outlive it. Immutable;
// thread-safe for readers.
class ContextBuilder {
 public:
  explicit ContextBuilder(const History& history) : history_(history) {}

  // Adds "key", "input", "faults", "checkpoints" and "latency_ns" (null when `delivered_t` is
  // kNever) for history.inputs[input]. The fault span runs from the input to `until_t`
  // (kNever: the end).
  void AddInput(uint32_t input, int64_t delivered_t, int64_t until_t,
                nlohmann::json* example) const;
  // Adds "faults" and "checkpoints" for the span [from_t, until_t], for examples that have no
  // single input (an output of an unknown id, a window), and "restores_went_back" when a
  // restore in the span went back past the newest checkpoint.
  void AddSpan(int64_t from_t, int64_t until_t, nlohmann::json* example) const;

  const std::string& KeyName(uint32_t key) const;

 private:
  const History& history_;
};

// A RestoreBackEvent as results.json shows it.
nlohmann::json RestoreBackJson(const RestoreBackEvent& r);

// Nanoseconds as seconds with millisecond precision, for human-readable summaries: "1.234 s".
std::string FormatNanos(int64_t ns);

}  // namespace faultline::checkers
