#include "bench/macro/interleave.h"

#include <algorithm>
#include <cmath>

#include "bench/macro/macro_bench.h"

namespace faultline::bench {

Result<std::vector<std::vector<double>>> Interleave(
    int rounds, size_t variants, const std::function<Result<double>(int, size_t)>& run) {
  std::vector<std::vector<double>> values(variants);
  for (int round = 0; round < rounds; ++round) {
    for (size_t v = 0; v < variants; ++v) {
      ASSIGN_OR_RETURN(double value, run(round, v));
      values[v].push_back(value);
    }
  }
  return values;
}

nlohmann::json SpreadJson(const std::vector<double>& runs) {
  if (runs.empty()) return {{"median", 0}, {"min", 0}, {"max", 0}, {"runs", runs}};
  return {{"median", Median(runs)},
          {"min", *std::min_element(runs.begin(), runs.end())},
          {"max", *std::max_element(runs.begin(), runs.end())},
          {"runs", runs}};
}

nlohmann::json RatioJson(const std::vector<double>& numerator,
                         const std::vector<double>& denominator) {
  std::vector<double> ratios;
  for (size_t i = 0; i < numerator.size() && i < denominator.size(); ++i) {
    ratios.push_back(denominator[i] > 0 ? numerator[i] / denominator[i] : 0);
  }
  nlohmann::json out = SpreadJson(ratios);
  out["per_round"] = std::move(out["runs"]);
  out.erase("runs");
  const double spread = out["max"].get<double>() - out["min"].get<double>();
  out["spread_wider_than_gap"] = spread > std::fabs(out["median"].get<double>() - 1);
  return out;
}

}  // namespace faultline::bench
