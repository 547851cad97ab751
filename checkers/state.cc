#include "checkers/state.h"

#include <algorithm>

#include "checkers/registry.h"

namespace faultline::checkers {
namespace {

constexpr size_t kMaxListed = 10;  // ids listed in one example

// Builds make(i) for each i in [0, n) where keep(i), grouped by group_of(i) (below `groups`)
// and in i order within a group: a counting sort straight from the source, with no copy.
// `starts` receives the group boundaries.
template <typename T, typename Keep, typename GroupOf, typename Make>
std::vector<T> BuildGrouped(size_t n, uint64_t groups, Keep keep, GroupOf group_of, Make make,
                            std::vector<uint32_t>* starts) {
  starts->assign(static_cast<size_t>(groups) + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    if (keep(i)) ++(*starts)[group_of(i) + 1];
  }
  for (size_t g = 1; g < starts->size(); ++g) (*starts)[g] += (*starts)[g - 1];
  std::vector<T> grouped(starts->back());
  std::vector<uint32_t> fill(starts->begin(), starts->end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (keep(i)) grouped[fill[group_of(i)]++] = make(i);
  }
  return grouped;
}

// A distinct (id, count) pair of the state checker, compact so that a key's pairs sit together.
struct Pair {
  int64_t t;
  int64_t count;
  uint32_t output;
  uint32_t key;
};

// A delivered input of the order checker, one per delivered input (24 bytes): its group
// (key, partition) is where it sits, not a member.
struct Position {
  int64_t position;  // in the partition: its offset, or its id without one
  int64_t rank;      // count job: the count of its first observed committed output; delivery
                     // job: that output's `t`
  uint32_t tie;      // delivery job: that output's line, for outputs seen at the same `t`
  uint32_t input;
};

// The order checker's place of an input in its partition: its offset, or its id when it has
// none (one sequential client assigns increasing ids in invoke order). Inputs without a
// partition are all in kNoPartition.
int64_t OrderPosition(const InputEvent& in) {
  return in.offset == kNoOffset ? static_cast<int64_t>(in.id) : in.offset;
}

// Numbers the partitions that occur densely from 0: by offset from the smallest when their
// range is small, else by rank among the distinct ones.
class PartitionNumbering {
 public:
  explicit PartitionNumbering(const std::vector<InputEvent>& inputs) {
    if (inputs.empty()) return;
    auto [lo, hi] = std::minmax_element(
        inputs.begin(), inputs.end(),
        [](const InputEvent& a, const InputEvent& b) { return a.partition < b.partition; });
    min_ = lo->partition;
    const int64_t range = int64_t{hi->partition} - min_ + 1;
    if (range <= 4096) {
      count_ = static_cast<uint32_t>(range);
      return;
    }
    for (const InputEvent& in : inputs) distinct_.push_back(in.partition);
    std::sort(distinct_.begin(), distinct_.end());
    distinct_.erase(std::unique(distinct_.begin(), distinct_.end()), distinct_.end());
    count_ = static_cast<uint32_t>(distinct_.size());
  }

  uint32_t count() const { return count_; }
  uint64_t Of(int32_t partition) const {
    if (distinct_.empty()) return static_cast<uint64_t>(int64_t{partition} - min_);
    return static_cast<uint64_t>(std::lower_bound(distinct_.begin(), distinct_.end(), partition) -
                                 distinct_.begin());
  }

 private:
  int32_t min_ = 0;
  uint32_t count_ = 1;
  std::vector<int32_t> distinct_;
};

// Checks one key's distinct pairs (output indices, in observation order).
class KeyStateChecker {
 public:
  KeyStateChecker(const History& history, const RecordIndex& index, const ContextBuilder& context,
                  CheckerResult* result)
      : history_(history),
        index_(index),
        context_(context),
        repeat_(result->anomalies[0]),
        gap_(result->anomalies[1]),
        regression_(result->anomalies[2]),
        overcount_(result->anomalies[3]) {}

  // `pairs` are the key's distinct pairs in observation order.
  void Check(uint32_t key, std::span<const Pair> pairs) {
    const Pair* highest = &pairs[0];
    for (const Pair& p : pairs) {
      if (p.count < highest->count) {
        regression_.Note([&] {
          const OutputEvent& top = history_.outputs[highest->output];
          nlohmann::json e = PairExample(p.output);
          e["highest_visible"] = top.count;
          e["highest_visible_id"] = top.id;
          e["highest_visible_t"] = top.t;
          return e;
        });
      } else {
        highest = &p;
      }
    }
    // By count; a stable sort keeps the carriers of one value in observation order.
    by_count_.assign(pairs.begin(), pairs.end());
    auto by_count = [](const Pair& a, const Pair& b) { return a.count < b.count; };
    if (!std::is_sorted(by_count_.begin(), by_count_.end(), by_count)) {
      std::stable_sort(by_count_.begin(), by_count_.end(), by_count);
    }
    int64_t below = 0;  // the last value present, 0 before the first
    const Pair* below_pair = nullptr;
    for (size_t run = 0; run < by_count_.size();) {
      size_t end = run + 1;
      while (end < by_count_.size() && by_count_[end].count == by_count_[run].count) ++end;
      const int64_t value = by_count_[run].count;
      std::span<const Pair> carriers(by_count_.data() + run, end - run);
      repeat_.NoteMany(static_cast<int64_t>(carriers.size()) - 1,
                       [&] { return RepeatExample(key, carriers); });
      if (value > below + 1) {
        gap_.NoteMany(value - below - 1, [&] {
          nlohmann::json e = PairExample(carriers[0].output);
          e["missing_from"] = below + 1;
          e["missing_to"] = value - 1;
          e["below_id"] = below_pair == nullptr
                              ? nlohmann::json(nullptr)
                              : nlohmann::json(history_.outputs[below_pair->output].id);
          return e;
        });
      }
      if (value >= 1) {
        below = value;
        below_pair = &carriers[0];
      }
      run = end;
    }
    const Pair& top = by_count_.back();
    if (top.count > index_.distinct_inputs(key)) {
      overcount_.Note([&] {
        nlohmann::json e = PairExample(top.output);
        e["distinct_inputs"] = index_.distinct_inputs(key);
        return e;
      });
    }
  }

 private:
  // The pair's id, count and time, with its input's context.
  nlohmann::json PairExample(uint32_t o) const {
    const OutputEvent& out = history_.outputs[o];
    nlohmann::json e = {{"id", out.id}, {"count", out.count}, {"t", out.t}};
    uint32_t in = index_.InputOf(o);
    context_.AddInput(in, index_.delivered_t(in), out.t, &e);
    return e;
  }

  // Context of the second carrier: the first one that should not have had the value.
  nlohmann::json RepeatExample(uint32_t key, std::span<const Pair> carriers) const {
    nlohmann::json e = PairExample(carriers[1].output);
    nlohmann::json ids = nlohmann::json::array();
    for (size_t k = 0; k < carriers.size() && k < kMaxListed; ++k) {
      ids.push_back(history_.outputs[carriers[k].output].id);
    }
    e["ids"] = std::move(ids);
    e["key"] = context_.KeyName(key);
    return e;
  }

  const History& history_;
  const RecordIndex& index_;
  const ContextBuilder& context_;
  Anomaly& repeat_;
  Anomaly& gap_;
  Anomaly& regression_;
  Anomaly& overcount_;
  std::vector<Pair> by_count_;
};

// The order checker's delivered inputs, grouped by (key, partition) and in position order
// within a group: a counting sort when the groups are few (the usual case), else a sort by
// group; `starts` receives the group boundaries. kByCount: ranked by the count of their first
// observed committed output (inputs whose output has none are left out), else by when that output
// was observed.
template <bool kByCount>
std::vector<Position> DeliveredPositions(const History& history, const RecordIndex& index,
                                         std::vector<uint32_t>* starts) {
  const auto& inputs = history.inputs;
  const auto& outputs = history.outputs;
  PartitionNumbering partitions(inputs);
  auto group_of = [&](size_t i) {
    return uint64_t{inputs[i].key} * partitions.count() + partitions.Of(inputs[i].partition);
  };
  auto keep = [&](size_t i) {
    // first_count is kNoCount for an input never delivered, too.
    if constexpr (kByCount) return index.first_count(static_cast<uint32_t>(i)) != kNoCount;
    return index.delivered_t(static_cast<uint32_t>(i)) != kNever;
  };
  auto make = [&](size_t i) {
    const auto input = static_cast<uint32_t>(i);
    if constexpr (kByCount) {
      return Position{OrderPosition(inputs[i]), index.first_count(input), 0, input};
    }
    const uint32_t first = index.first_output(input);
    return Position{OrderPosition(inputs[i]), outputs[first].t, first, input};
  };
  auto by_position = [](const Position& a, const Position& b) { return a.position < b.position; };
  const uint64_t groups = uint64_t{history.keys.size()} * partitions.count();
  std::vector<Position> order;
  if (groups <= 4 * inputs.size() + 1024) {
    order = BuildGrouped<Position>(inputs.size(), groups, keep, group_of, make, starts);
    for (size_t g = 0; g + 1 < starts->size(); ++g) {
      auto begin = order.begin() + (*starts)[g];
      auto end = order.begin() + (*starts)[g + 1];
      if (!std::is_sorted(begin, end, by_position)) std::sort(begin, end, by_position);
    }
    return order;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (keep(i)) order.push_back(make(i));
  }
  std::sort(order.begin(), order.end(), [&](const Position& a, const Position& b) {
    const uint64_t ga = group_of(a.input), gb = group_of(b.input);
    return ga != gb ? ga < gb : a.position < b.position;
  });
  *starts = {0};
  for (size_t k = 1; k <= order.size(); ++k) {
    if (k == order.size() || group_of(order[k].input) != group_of(order[k - 1].input)) {
      starts->push_back(static_cast<uint32_t>(k));
    }
  }
  return order;
}

}  // namespace

CheckerResult CheckState(const History& history, const RecordIndex& index,
                         const ContextBuilder& context) {
  CheckerResult r = NewCheckerResult(CheckerId::kState);
  const auto& outputs = history.outputs;
  std::vector<uint32_t> starts;
  std::vector<Pair> pairs = BuildGrouped<Pair>(
      outputs.size(), history.keys.size(), [&](size_t o) { return index.IsFirstPair(o); },
      [&](size_t o) { return history.inputs[index.InputOf(o)].key; },
      [&](size_t o) {
        return Pair{outputs[o].t, outputs[o].count, static_cast<uint32_t>(o),
                    history.inputs[index.InputOf(o)].key};
      },
      &starts);
  KeyStateChecker checker(history, index, context, &r);
  auto by_time = [](const Pair& a, const Pair& b) { return a.t < b.t; };
  for (uint32_t key = 0; key < history.keys.size(); ++key) {
    auto begin = pairs.begin() + starts[key];
    auto end = pairs.begin() + starts[key + 1];
    if (begin == end) continue;
    // Line order already; ties in `t` keep it, so observation order is a stable sort by time.
    if (!std::is_sorted(begin, end, by_time)) std::stable_sort(begin, end, by_time);
    checker.Check(key, std::span<const Pair>(&*begin, static_cast<size_t>(end - begin)));
  }
  return r;
}

CheckerResult CheckOrder(const History& history, const RecordIndex& index,
                         const ContextBuilder& context, JobKind job) {
  CheckerResult r = NewCheckerResult(CheckerId::kOrder);
  Anomaly& violations = *r.Find("violations");
  const auto& inputs = history.inputs;
  const bool by_count = job != JobKind::kDelivery;
  std::vector<uint32_t> starts;
  std::vector<Position> order = by_count ? DeliveredPositions<true>(history, index, &starts)
                                         : DeliveredPositions<false>(history, index, &starts);
  auto position = [&](const Position& p) {
    const InputEvent& in = inputs[p.input];
    nlohmann::json j = {
        {"id", in.id},
        {"offset", in.offset == kNoOffset ? nlohmann::json() : nlohmann::json(in.offset)}};
    if (by_count) {
      j["count"] = p.rank;
    } else {
      j["delivered_t"] = p.rank;
    }
    return j;
  };
  auto before = [](const Position& a, const Position& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.tie < b.tie;
  };
  for (size_t g = 0; g + 1 < starts.size(); ++g) {
    for (size_t k = starts[g]; k + 1 < starts[g + 1]; ++k) {
      const Position& a = order[k];
      const Position& b = order[k + 1];
      if (!before(b, a)) continue;
      violations.Note([&] {
        nlohmann::json e = {{"partition", inputs[a.input].partition},
                            {"earlier", position(a)},
                            {"later", position(b)}};
        const int64_t delivered = index.delivered_t(b.input);
        context.AddInput(b.input, delivered, std::max(index.delivered_t(a.input), delivered), &e);
        return e;
      });
    }
  }
  return r;
}

}  // namespace faultline::checkers
