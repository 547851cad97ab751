// Interleaved repeats: how the macro benchmarks compare variants (modes, raw vs faultfs) on a
// shared machine whose speed drifts by 2x within minutes. Variants run A B C A B C ..., so the
// runs of one round see nearly the same machine, and every ratio is taken inside a round.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/status.h"

namespace faultline::bench {

// Runs `run(round, variant)` for round 0..rounds-1, and inside each round for variant
// 0..variants-1. Returns each variant's values in round order; stops at the first error.
Result<std::vector<std::vector<double>>> Interleave(
    int rounds, size_t variants, const std::function<Result<double>(int, size_t)>& run);

// The median of `runs` with its spread. Keys: median, min, max, runs.
nlohmann::json SpreadJson(const std::vector<double>& runs);

// The ratio numerator / denominator, taken round by round (both in round order, same length):
// median, min, max, per_round, and `spread_wider_than_gap`, true when max - min exceeds
// |median - 1|, the gap between the two sides: then a single run cannot tell which side is
// faster, and the median should be read with that in mind.
nlohmann::json RatioJson(const std::vector<double>& numerator,
                         const std::vector<double>& denominator);

}  // namespace faultline::bench
