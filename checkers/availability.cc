#include "checkers/availability.h"

#include <algorithm>
#include <utility>

#include "checkers/registry.h"

namespace faultline::checkers {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMaxBuckets = 10'000;

nlohmann::json NullableNanos(int64_t ns) {
  return ns == kNever ? nlohmann::json(nullptr) : nlohmann::json(ns);
}

// p50, p99 (nearest rank) and max of `v`, which is reordered.
nlohmann::json Quantiles(std::vector<int64_t>::iterator begin, std::vector<int64_t>::iterator end) {
  const auto n = static_cast<size_t>(end - begin);
  if (n == 0) return {{"count", 0}, {"p50_ns", nullptr}, {"p99_ns", nullptr}, {"max_ns", nullptr}};
  auto rank = [n](size_t percent) { return (n * percent + 99) / 100 - 1; };
  auto p99 = begin + static_cast<ptrdiff_t>(rank(99));
  std::nth_element(begin, p99, end);
  int64_t max = *std::max_element(p99, end);
  auto p50 = begin + static_cast<ptrdiff_t>(rank(50));
  std::nth_element(begin, p50, p99 + 1);
  return {{"count", n}, {"p50_ns", *p50}, {"p99_ns", *p99}, {"max_ns", max}};
}

// The longest span between committed outputs (from the first input; to the last input after
// the last output) during which some input was written.
nlohmann::json LongestStall(const std::vector<std::pair<int64_t, int64_t>>& sent,
                            const std::vector<int64_t>& outputs) {
  if (sent.empty()) return nullptr;
  int64_t best_start = 0, best_end = 0;
  size_t next_input = 0;
  auto consider = [&](int64_t from, int64_t to) {
    while (next_input < sent.size() && sent[next_input].first < from) ++next_input;
    bool input_flowed = next_input < sent.size() && sent[next_input].first < to;
    if (input_flowed && to - from > best_end - best_start) {
      best_start = from;
      best_end = to;
    }
  };
  int64_t previous = sent.front().first;
  for (int64_t o : outputs) {
    if (o <= previous) continue;
    consider(previous, o);
    previous = o;
  }
  consider(previous, sent.back().first + 1);
  if (best_end == best_start) return nullptr;
  return {{"start", best_start}, {"end", best_end}, {"duration_ns", best_end - best_start}};
}

}  // namespace

CheckerResult CheckAvailability(const History& history, const std::vector<int64_t>& delivered_t,
                                std::vector<int64_t> output_times) {
  CheckerResult r = NewCheckerResult(CheckerId::kAvailability);
  // (input t, delivered t) in input time order.
  std::vector<std::pair<int64_t, int64_t>> sent;
  sent.reserve(history.inputs.size());
  for (size_t i = 0; i < history.inputs.size(); ++i) {
    sent.push_back({history.inputs[i].t, delivered_t[i]});
  }
  if (!std::is_sorted(sent.begin(), sent.end())) std::sort(sent.begin(), sent.end());
  if (!std::is_sorted(output_times.begin(), output_times.end())) {
    std::sort(output_times.begin(), output_times.end());
  }

  // Latencies bucketed by input time (a counting sort), then quantiles overall and per bucket.
  const int64_t base = std::min<int64_t>(0, sent.empty() ? 0 : sent.front().first);
  const int64_t last = std::max(sent.empty() ? 0 : sent.back().first,
                                output_times.empty() ? 0 : output_times.back());
  int64_t width = kSecond;
  while ((last - base) / width >= kMaxBuckets) width *= 2;
  const auto buckets = static_cast<size_t>((last - base) / width + 1);
  std::vector<int64_t> inputs(buckets, 0), outputs(buckets, 0);
  std::vector<size_t> starts(buckets + 1, 0);
  for (const auto& [t, d] : sent) {
    ++inputs[(t - base) / width];
    if (d != kNever) ++starts[(t - base) / width + 1];
  }
  for (int64_t t : output_times) {
    if (t >= base) ++outputs[(t - base) / width];
  }
  for (size_t b = 1; b <= buckets; ++b) starts[b] += starts[b - 1];
  std::vector<int64_t> latencies(starts.back());
  std::vector<size_t> fill(starts.begin(), starts.end() - 1);
  for (const auto& [t, d] : sent) {
    if (d != kNever) latencies[fill[(t - base) / width]++] = std::max<int64_t>(0, d - t);
  }
  fill = {};
  nlohmann::json per_second = nlohmann::json::array();
  for (size_t b = 0; b < buckets; ++b) {
    nlohmann::json q = Quantiles(latencies.begin() + static_cast<ptrdiff_t>(starts[b]),
                                 latencies.begin() + static_cast<ptrdiff_t>(starts[b + 1]));
    per_second.push_back({{"t", base + static_cast<int64_t>(b) * width},
                          {"inputs", inputs[b]},
                          {"outputs", outputs[b]},
                          {"p50_ns", q["p50_ns"]},
                          {"p99_ns", q["p99_ns"]},
                          {"max_ns", q["max_ns"]}});
  }
  r.details["latency"] = Quantiles(latencies.begin(), latencies.end());
  r.details["bucket_ns"] = width;
  r.details["per_second"] = std::move(per_second);
  r.details["longest_stall"] = LongestStall(sent, output_times);

  // Recovery: the first delivery among inputs written at or after a time (a suffix minimum).
  std::vector<int64_t> first_delivery(sent.size() + 1, kNever);
  for (size_t k = sent.size(); k-- > 0;) {
    first_delivery[k] = std::min(first_delivery[k + 1], sent[k].second);
  }
  auto recovery_after = [&](int64_t from) {
    if (from == kNever) return kNever;
    auto it =
        std::lower_bound(sent.begin(), sent.end(), std::pair<int64_t, int64_t>{from, INT64_MIN});
    int64_t d = first_delivery[static_cast<size_t>(it - sent.begin())];
    return d == kNever ? kNever : d - from;
  };
  nlohmann::json faults = nlohmann::json::array();
  for (const FaultInterval& f : history.faults) {
    faults.push_back({{"fault", f.fault},
                      {"target", f.target},
                      {"fault_id", f.fault_id < 0 ? nlohmann::json() : nlohmann::json(f.fault_id)},
                      {"begin", f.begin},
                      {"end", NullableNanos(f.end)},
                      {"recovery_ns", NullableNanos(recovery_after(f.begin))},
                      {"heal_to_output_ns", NullableNanos(recovery_after(f.end))}});
  }
  r.details["faults"] = std::move(faults);
  return r;
}

}  // namespace faultline::checkers
