#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "checkers/history.h"
#include "checkers/result.h"

namespace faultline::checkers {

// availability: how promptly input became committed output. Informational, never invalid; its
// figures go to `details`:
//   latency       {count, p50_ns, p99_ns, max_ns}: input written -> first committed delivery
//   bucket_ns, per_second  [{t, inputs, outputs, p50_ns, p99_ns, max_ns}] by input time
//   longest_stall {start, end, duration_ns}: the longest span without committed output while
//                 input was written (null if none)
//   faults        [{fault, target, begin, end, recovery_ns, heal_to_output_ns}]: time from the
//                 fault's begin (its end) to the first delivery of an input written after it
// `delivered_t(input)` is the `t` of the input's first committed delivery (kNever: never, or
// a repeated input). Pure function.
CheckerResult CheckAvailability(const History& history,
                                const std::function<int64_t(uint32_t)>& delivered_t);

}  // namespace faultline::checkers
