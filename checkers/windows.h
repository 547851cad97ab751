#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "checkers/context.h"
#include "checkers/history.h"
#include "checkers/index.h"
#include "checkers/result.h"

namespace faultline::checkers {

// WindowTable groups the window job's inputs and window results by (key, window). Each input
// falls in the tumbling window of its event time; the size comes from the meta line's
// `window_size`, else from the first window result (end - start), and windows are aligned
// like that result. When neither exists, each key's inputs form one window [0, 0).
// Holds a reference to `ids`, which must outlive it. Immutable after construction; thread-safe
// for readers.
class WindowTable {
 public:
  struct Window {
    uint32_t key;
    int64_t start;
    int64_t end;
    // Its distinct inputs by the SendStatus of their id. The count recomputed in batch is a
    // range: at least the `ok` ones (expected()), at most those plus the `unknown` ones
    // (expected_max()); `fail` ones never count.
    int64_t sends[3] = {0, 0, 0};
    uint32_t first_input = kNoInput;    // of any status
    std::vector<uint32_t> committed;    // indices of committed window lines, line order
    std::vector<uint32_t> retracted;    // indices of committed lines taken back since
    std::vector<uint32_t> uncommitted;  // indices of uncommitted window lines
    int64_t delivered_t = kNever;       // `t` of the first committed result

    int64_t expected() const { return sends[static_cast<int>(SendStatus::kOk)]; }
    int64_t unknown() const { return sends[static_cast<int>(SendStatus::kUnknown)]; }
    int64_t failed() const { return sends[static_cast<int>(SendStatus::kFail)]; }
    int64_t expected_max() const { return expected() + unknown(); }
    bool has_input() const { return first_input != kNoInput; }
  };

  WindowTable(const History& history, const IdIndex& ids);

  const IdIndex& ids() const { return ids_; }
  const std::vector<Window>& windows() const { return windows_; }
  std::optional<int64_t> size() const { return size_; }
  // Per input: when its window's first committed result was seen; kNever if none or a repeat.
  int64_t delivered_t(uint32_t input) const { return delivered_t_[input]; }

 private:
  const IdIndex& ids_;
  std::optional<int64_t> size_;
  std::vector<Window> windows_;
  std::vector<int64_t> delivered_t_;
};

// The window job's checkers; pure functions of the table, thread-safe for distinct results.

// delivery, judged through window results: `lost` (windows with an `ok` input and no
// committed result), `duplicated` (committed results of a window beyond its first),
// `unexpected` (windows with committed results and no input), `delivered-after-fail` (windows
// with committed results whose every input failed). A failed input counted into a window with
// other inputs shows as an overcounted window.
CheckerResult CheckWindowDelivery(const History& history, const WindowTable& table,
                                  const ContextBuilder& context);
// windows: `mismatched` = distinct committed results outside the batch count's range, plus
// missing windows (an `ok` input, no result) and extra ones (a result, no input); `details`
// splits it (missing, extra, differing, undercounted, overcounted).
CheckerResult CheckWindows(const History& history, const WindowTable& table,
                           const ContextBuilder& context);
// visibility: `aborted-reads`, distinct window results seen uncommitted, never committed.
CheckerResult CheckWindowVisibility(const History& history, const WindowTable& table,
                                    const ContextBuilder& context);

}  // namespace faultline::checkers
