#include "checkers/availability.h"

#include <algorithm>
#include <functional>
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

// The inputs in time order (then by delivery), as indices: 4 bytes an input, where pairs of
// times would take 16 (docs/benchmarks.md, the checker's memory).
std::vector<uint32_t> InputsInTimeOrder(const std::vector<InputEvent>& inputs,
                                        const std::function<int64_t(uint32_t)>& delivered_t) {
  std::vector<uint32_t> order(inputs.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto before = [&](uint32_t a, uint32_t b) {
    return inputs[a].t != inputs[b].t ? inputs[a].t < inputs[b].t : delivered_t(a) < delivered_t(b);
  };
  if (!std::is_sorted(order.begin(), order.end(), before)) {
    std::sort(order.begin(), order.end(), before);
  }
  return order;
}

// The `t` of every committed output and window result, sorted.
std::vector<int64_t> CommittedTimes(const History& history) {
  size_t n = 0;
  for (const OutputEvent& o : history.outputs) n += o.committed;
  for (const WindowEvent& w : history.windows) n += w.committed;
  std::vector<int64_t> times;
  times.reserve(n);
  for (const OutputEvent& o : history.outputs) {
    if (o.committed) times.push_back(o.t);
  }
  for (const WindowEvent& w : history.windows) {
    if (w.committed) times.push_back(w.t);
  }
  if (!std::is_sorted(times.begin(), times.end())) std::sort(times.begin(), times.end());
  return times;
}

// The longest span between committed outputs (from the first input; to the last input after
// the last output) during which some input was written. `input_t` is sorted.
template <typename InputT>
nlohmann::json LongestStall(size_t inputs, const InputT& input_t,
                            const std::vector<int64_t>& outputs) {
  if (inputs == 0) return nullptr;
  int64_t best_start = 0, best_end = 0;
  size_t next_input = 0;
  auto consider = [&](int64_t from, int64_t to) {
    while (next_input < inputs && input_t(next_input) < from) ++next_input;
    bool input_flowed = next_input < inputs && input_t(next_input) < to;
    if (input_flowed && to - from > best_end - best_start) {
      best_start = from;
      best_end = to;
    }
  };
  int64_t previous = input_t(0);
  for (int64_t o : outputs) {
    if (o <= previous) continue;
    consider(previous, o);
    previous = o;
  }
  consider(previous, input_t(inputs - 1) + 1);
  if (best_end == best_start) return nullptr;
  return {{"start", best_start}, {"end", best_end}, {"duration_ns", best_end - best_start}};
}

}  // namespace

CheckerResult CheckAvailability(const History& history,
                                const std::function<int64_t(uint32_t)>& delivered_t) {
  CheckerResult r = NewCheckerResult(CheckerId::kAvailability);
  const std::vector<uint32_t> order = InputsInTimeOrder(history.inputs, delivered_t);
  auto input_t = [&](size_t k) { return history.inputs[order[k]].t; };
  const std::vector<int64_t> output_times = CommittedTimes(history);

  // Latencies in input time order, so bucketed by input time as they come; then quantiles
  // overall and per bucket.
  const int64_t base = std::min<int64_t>(0, order.empty() ? 0 : input_t(0));
  const int64_t last = std::max(order.empty() ? 0 : input_t(order.size() - 1),
                                output_times.empty() ? 0 : output_times.back());
  int64_t width = kSecond;
  while ((last - base) / width >= kMaxBuckets) width *= 2;
  const auto buckets = static_cast<size_t>((last - base) / width + 1);
  std::vector<int64_t> inputs(buckets, 0), outputs(buckets, 0);
  std::vector<size_t> starts(buckets + 1, 0);
  std::vector<int64_t> latencies;
  latencies.reserve(order.size());  // address space only: the pages are touched as filled
  for (size_t k = 0; k < order.size(); ++k) {
    const int64_t t = input_t(k);
    const int64_t d = delivered_t(order[k]);
    ++inputs[(t - base) / width];
    if (d == kNever) continue;
    ++starts[(t - base) / width + 1];
    latencies.push_back(std::max<int64_t>(0, d - t));
  }
  for (int64_t t : output_times) {
    if (t >= base) ++outputs[(t - base) / width];
  }
  for (size_t b = 1; b <= buckets; ++b) starts[b] += starts[b - 1];
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
  latencies = {};
  r.details["bucket_ns"] = width;
  r.details["per_second"] = std::move(per_second);
  r.details["longest_stall"] = LongestStall(order.size(), input_t, output_times);

  // Recovery: the first delivery among inputs written at or after a time. The faults' times,
  // latest first, against a running minimum over the inputs from the latest back.
  std::vector<int64_t> times;
  for (const FaultInterval& f : history.faults) {
    times.push_back(f.begin);
    times.push_back(f.end);
  }
  std::sort(times.begin(), times.end(), std::greater<>());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  std::vector<std::pair<int64_t, int64_t>> first_delivery_from;  // (time, delivery), latest first
  size_t k = order.size();
  int64_t first = kNever;
  for (int64_t from : times) {
    if (from == kNever) continue;
    while (k > 0 && input_t(k - 1) >= from) first = std::min(first, delivered_t(order[--k]));
    first_delivery_from.push_back({from, first});
  }
  auto recovery_after = [&](int64_t from) {
    if (from == kNever) return kNever;
    auto it = std::lower_bound(
        first_delivery_from.begin(), first_delivery_from.end(), from,
        [](const std::pair<int64_t, int64_t>& e, int64_t t) { return e.first > t; });
    const int64_t d = it->second;
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
