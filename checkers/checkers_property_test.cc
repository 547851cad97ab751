// Property: on a clean synthetic history of any job under any mode, with sends of every
// outcome (failed and unknown sends that were never applied, unknown ones that were), every
// checker reports nothing; after planting k anomalies of one kind, the checkers report exactly
// those k of that kind (with the figures the kind implies, listed below) and nothing else, and
// the verdict is the mode's expectation.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/rng.h"
#include "checkers/check.h"
#include "checkers/synthetic_history.h"

namespace faultline::checkers {
namespace {

using Type = HistoryLine::Type;
using Lines = std::vector<HistoryLine>;

constexpr const char* kFigures[] = {"delivery.lost",
                                    "delivery.duplicated",
                                    "delivery.unexpected",
                                    "delivery.delivered-after-fail",
                                    "state.count-repeat",
                                    "state.count-gap",
                                    "state.count-regression",
                                    "state.overcount",
                                    "order.violations",
                                    "windows.mismatched",
                                    "visibility.aborted-reads",
                                    "visibility.retracted"};

enum class Plant {
  kDropOutput,        // the last output of k keys (k windows)
  kDuplicateOutput,   // an identical copy of k outputs (window results)
  kSwapCounts,        // the counts of k neighbouring pairs in a partition
  kRollBack,          // k pairs of a key's consecutive counts observed in reverse
  kDoubleApply,       // k records applied again after the next one
  kWindowUp,          // k window results one above their input
  kWindowDown,        // k window results one below their input
  kAbortedRead,       // k uncommitted results that never commit
  kUnknownId,         // k outputs (window results) for ids (windows) never input
  kDropMiddle,        // k outputs that are not their key's last: a gap
  kOvercount,         // k keys whose last record is applied twice
  kAfterFail,         // k delivered records, of distinct keys, whose send is said to have failed
  kRetract,           // k committed outputs (the last of k keys; window results) taken back
  kRetractRedeliver,  // the same, each committed again after it was taken back
};

struct PlantSpec {
  Plant plant;
  const char* name;
  bool count_job;
  bool window_job;
  // Figures the plant sets to k, for the count job and the window job.
  std::vector<const char*> count_figures;
  std::vector<const char*> window_figures;
  bool valid[3];  // the verdict under at-most-once, at-least-once, exactly-once
  // The delivery job: whether the plant applies, and its figures (nullopt: as the count job's
  // that the delivery job has).
  bool delivery_job = true;
  std::optional<std::vector<const char*>> delivery_figures = std::nullopt;

  bool AppliesTo(JobKind job) const {
    switch (job) {
      case JobKind::kCount:
        return count_job;
      case JobKind::kWindowCount:
        return window_job;
      case JobKind::kDelivery:
        return delivery_job;
    }
    return false;
  }
  std::vector<const char*> Figures(JobKind job) const {
    switch (job) {
      case JobKind::kCount:
        return count_figures;
      case JobKind::kWindowCount:
        return window_figures;
      case JobKind::kDelivery:
        break;
    }
    if (delivery_figures) return *delivery_figures;
    std::vector<const char*> figures;  // the delivery job has no state
    for (const char* f : count_figures) {
      if (std::string_view(f).rfind("state.", 0) != 0) figures.push_back(f);
    }
    return figures;
  }
};

const std::vector<PlantSpec>& Specs() {
  static const std::vector<PlantSpec> specs = {
      {Plant::kDropOutput,
       "drop",
       true,
       true,
       {"delivery.lost"},
       {"delivery.lost", "windows.mismatched"},
       {true, false, false}},
      {Plant::kDuplicateOutput,
       "duplicate",
       true,
       true,
       {"delivery.duplicated"},
       {"delivery.duplicated"},
       {false, true, false}},
      {Plant::kSwapCounts, "swap", true, false, {"order.violations"}, {}, {true, true, false}},
      {Plant::kRollBack,
       "roll back",
       true,
       false,
       {"state.count-regression"},
       {},
       {true, true, false},
       /*delivery_job=*/false},
      {Plant::kDoubleApply,
       "double-apply",
       true,
       false,
       {"state.count-repeat", "delivery.duplicated"},
       {},
       {false, true, false}},
      {Plant::kWindowUp,
       "window up",
       false,
       true,
       {},
       {"windows.mismatched"},
       {false, true, false}},
      {Plant::kWindowDown,
       "window down",
       false,
       true,
       {},
       {"windows.mismatched"},
       {true, false, false}},
      {Plant::kAbortedRead,
       "aborted read",
       true,
       true,
       {"visibility.aborted-reads"},
       {"visibility.aborted-reads"},
       {true, true, false}},
      {Plant::kUnknownId,
       "unknown id",
       true,
       true,
       {"delivery.unexpected"},
       {"delivery.unexpected", "windows.mismatched"},
       {false, false, false}},
      {Plant::kDropMiddle,
       "drop middle",
       true,
       false,
       {"delivery.lost", "state.count-gap"},
       {},
       {true, false, false}},
      {Plant::kOvercount,
       "overcount",
       true,
       false,
       {"state.overcount", "delivery.duplicated"},
       {},
       {false, true, false}},
      {Plant::kAfterFail,
       "delivered after fail",
       true,
       false,
       {"delivery.delivered-after-fail", "state.overcount"},
       {},
       {false, false, false}},
      {Plant::kRetract,
       "retract",
       true,
       true,
       {"visibility.retracted", "delivery.lost"},
       {"visibility.retracted", "delivery.lost", "windows.mismatched"},
       {true, false, false}},
      {Plant::kRetractRedeliver,
       "retract, deliver again",
       true,
       true,
       {"visibility.retracted"},
       {"visibility.retracted"},
       {true, true, false}},
  };
  return specs;
}

// Where each record's (or window's) lines are in a clean history.
struct Layout {
  std::map<uint64_t, size_t> committed;               // count job: id -> its committed output line
  std::map<uint64_t, std::vector<size_t>> all;        // id -> every output line
  std::map<uint32_t, std::vector<uint64_t>> key_ids;  // key -> ids in count order
  std::map<uint64_t, std::pair<uint32_t, int64_t>> input;  // id -> (key, partition)
  std::map<uint64_t, size_t> input_line;                   // id -> its input line
  std::vector<size_t> windows;                             // committed window lines
  uint64_t max_id = 0;
  int64_t max_window_end = 0;
  int64_t last_t = 0;
};

Layout Describe(const Lines& lines) {
  Layout l;
  for (size_t i = 0; i < lines.size(); ++i) {
    const HistoryLine& line = lines[i];
    l.last_t = std::max(l.last_t, line.t);
    if (line.type == Type::kInput) {
      l.input[line.id] = {line.key, line.partition};
      l.input_line[line.id] = i;
      l.max_id = std::max(l.max_id, line.id);
    } else if (line.type == Type::kOutput) {
      l.all[line.id].push_back(i);
      if (line.committed) {
        l.committed[line.id] = i;
        l.key_ids[line.key].push_back(line.id);  // committed in count order per key
      }
    } else if (line.type == Type::kWindow) {
      if (line.committed) l.windows.push_back(i);
      l.max_window_end = std::max(l.max_window_end, line.end);
    }
  }
  return l;
}

// Picks up to `k` of `candidates`, in random order.
template <typename T>
std::vector<T> Pick(std::vector<T> candidates, int k, Rng& rng) {
  for (size_t i = candidates.size(); i > 1; --i) {
    std::swap(candidates[i - 1], candidates[rng.Uniform(i)]);
  }
  if (candidates.size() > static_cast<size_t>(k)) candidates.resize(static_cast<size_t>(k));
  return candidates;
}

// Edits queued against a clean history: lines removed, and lines inserted after a line.
struct Edits {
  std::set<size_t> removed;
  std::multimap<size_t, HistoryLine> inserted;

  Lines Apply(const Lines& lines) const {
    Lines out;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (removed.count(i) == 0) out.push_back(lines[i]);
      auto [begin, end] = inserted.equal_range(i);
      for (auto it = begin; it != end; ++it) out.push_back(it->second);
    }
    return out;
  }
};

// The key of the sends AddSendOutcomes() adds, apart from the generator's keys.
constexpr uint32_t kOutcomeKey = 1000;

// Adds sends that were never applied: `failed` that failed and `unknown` of unknown outcome,
// each beside a random input (its time and event time), some without partition and offset.
// They are of a key of their own, so no planted anomaly depends on them.
void AddSendOutcomes(int failed, int unknown, Rng& rng, Lines* lines) {
  const Layout l = Describe(*lines);
  std::vector<size_t> inputs;
  for (const auto& [id, line] : l.input_line) inputs.push_back(line);
  if (inputs.empty()) return;
  Edits edits;
  uint64_t id = l.max_id;
  for (int n = 0; n < failed + unknown; ++n) {
    const size_t beside = inputs[rng.Uniform(inputs.size())];
    HistoryLine send = (*lines)[beside];
    send.id = ++id;
    send.key = kOutcomeKey;
    send.status = n < failed ? SendStatus::kFail : SendStatus::kUnknown;
    if (rng.Uniform(2) == 0) send.partition = kNoPartition;
    edits.inserted.insert({beside, send});
  }
  *lines = edits.Apply(*lines);
}

// Marks up to `n` delivered `ok` sends `unknown`: an unknown send may be applied, so no figure
// changes (the count and delivery jobs; a window's count would become a range).
int MarkDeliveredUnknown(int n, Rng& rng, Lines* lines) {
  const Layout l = Describe(*lines);
  std::vector<size_t> delivered;
  for (const auto& [id, line] : l.input_line) {
    // The last committed output of the id, unless a retract plant gave it a source.
    if (l.committed.count(id) && (*lines)[l.committed.at(id)].source == 0 &&
        (*lines)[line].status == SendStatus::kOk) {
      delivered.push_back(line);
    }
  }
  int marked = 0;
  for (size_t line : Pick(delivered, n, rng)) {
    (*lines)[line].status = SendStatus::kUnknown;
    ++marked;
  }
  return marked;
}

// Plants up to k anomalies; returns how many it could plant.
int PlantAnomalies(Plant plant, JobKind job, int k, Rng& rng, Lines* lines) {
  const bool window_job = job == JobKind::kWindowCount;
  const Layout l = Describe(*lines);
  Edits edits;
  int planted = 0;
  auto last_of_keys = [&](size_t min_records) {
    std::vector<uint32_t> keys;
    for (const auto& [key, ids] : l.key_ids) {
      if (ids.size() >= min_records) keys.push_back(key);
    }
    return keys;
  };
  auto all_ids = [&] {
    std::vector<uint64_t> ids;
    for (const auto& [id, line] : l.committed) ids.push_back(id);
    return ids;
  };
  switch (plant) {
    case Plant::kDropOutput:
      if (window_job) {
        for (size_t w : Pick(l.windows, k, rng)) {
          for (size_t i = 0; i < lines->size(); ++i) {
            const HistoryLine& x = (*lines)[i];
            if (x.type == Type::kWindow && x.key == (*lines)[w].key &&
                x.start == (*lines)[w].start) {
              edits.removed.insert(i);
            }
          }
          ++planted;
        }
      } else {
        for (uint32_t key : Pick(last_of_keys(1), k, rng)) {
          for (size_t i : l.all.at(l.key_ids.at(key).back())) edits.removed.insert(i);
          ++planted;
        }
      }
      break;
    case Plant::kDuplicateOutput:
      for (size_t i : window_job ? Pick(l.windows, k, rng) : [&] {
             std::vector<size_t> v;
             for (uint64_t id : Pick(all_ids(), k, rng)) v.push_back(l.committed.at(id));
             return v;
           }()) {
        edits.inserted.insert({i, (*lines)[i]});
        ++planted;
      }
      break;
    case Plant::kSwapCounts: {
      // Neighbours in offset order within (partition, key): consecutive ids of both.
      std::map<std::pair<int64_t, uint32_t>, std::vector<uint64_t>> runs;
      for (const auto& [id, where] : l.input) {
        if (l.committed.count(id)) runs[{where.second, where.first}].push_back(id);
      }
      std::vector<std::pair<uint64_t, uint64_t>> pairs;
      for (const auto& [run, ids] : runs) {
        for (size_t i = 0; i + 1 < ids.size(); ++i) pairs.push_back({ids[i], ids[i + 1]});
      }
      std::set<uint64_t> used;
      for (auto [a, b] : Pick(pairs, static_cast<int>(pairs.size()), rng)) {
        if (planted == k || used.count(a) || used.count(b)) continue;
        used.insert(a);
        used.insert(b);
        const int64_t count_a = (*lines)[l.committed.at(a)].count;
        const int64_t count_b = (*lines)[l.committed.at(b)].count;
        for (size_t i : l.all.at(a)) (*lines)[i].count = count_b;
        for (size_t i : l.all.at(b)) (*lines)[i].count = count_a;
        // Swap where the committed lines sit, so each key's observed counts stay in order.
        HistoryLine& la = (*lines)[l.committed.at(a)];
        HistoryLine& lb = (*lines)[l.committed.at(b)];
        std::swap(la, lb);
        std::swap(la.t, lb.t);
        ++planted;
      }
      break;
    }
    case Plant::kRollBack: {
      std::vector<std::pair<uint64_t, uint64_t>> pairs;  // disjoint consecutive pairs per key
      for (const auto& [key, ids] : l.key_ids) {
        for (size_t i = 0; i + 1 < ids.size(); i += 2) pairs.push_back({ids[i], ids[i + 1]});
      }
      for (auto [a, b] : Pick(pairs, k, rng)) {
        HistoryLine& la = (*lines)[l.committed.at(a)];
        HistoryLine& lb = (*lines)[l.committed.at(b)];
        std::swap(la, lb);
        std::swap(la.t, lb.t);
        ++planted;
      }
      break;
    }
    case Plant::kDoubleApply:
    case Plant::kOvercount:
      for (uint32_t key : Pick(last_of_keys(plant == Plant::kDoubleApply ? 2 : 1), k, rng)) {
        const std::vector<uint64_t>& ids = l.key_ids.at(key);
        const size_t last_line = l.committed.at(ids.back());
        HistoryLine again = (*lines)[last_line];
        if (plant == Plant::kDoubleApply) {
          again.id = ids[ids.size() - 2];  // the one before, applied again: the last count
        } else {
          again.count += 1;  // the last one, applied again
        }
        edits.inserted.insert({last_line, again});
        ++planted;
      }
      break;
    case Plant::kWindowUp:
    case Plant::kWindowDown:
      for (size_t w : Pick(l.windows, k, rng)) {
        const HistoryLine target = (*lines)[w];
        for (HistoryLine& x : *lines) {
          if (x.type == Type::kWindow && x.key == target.key && x.start == target.start) {
            x.count += plant == Plant::kWindowUp ? 1 : -1;
          }
        }
        ++planted;
      }
      break;
    case Plant::kAbortedRead: {
      if (job == JobKind::kDelivery) {
        // An output without a count is matched by id: one of an id never committed.
        for (int n = 1; n <= k; ++n) {
          HistoryLine seen;
          seen.type = Type::kOutput;
          seen.t = l.last_t;
          seen.id = l.max_id + static_cast<uint64_t>(n);
          seen.committed = false;
          edits.inserted.insert({lines->size() - 1, seen});
          ++planted;
        }
        break;
      }
      std::vector<size_t> where = l.windows;
      if (!window_job) {
        where.clear();
        for (uint64_t id : all_ids()) where.push_back(l.committed.at(id));
      }
      for (size_t i : Pick(where, k, rng)) {
        HistoryLine seen = (*lines)[i];
        seen.committed = false;
        seen.count += 1000;
        edits.inserted.insert({i, seen});
        ++planted;
      }
      break;
    }
    case Plant::kUnknownId:
      for (int n = 1; n <= k; ++n) {
        HistoryLine orphan;
        orphan.t = l.last_t;
        orphan.key = 0;
        orphan.count = 1;
        if (window_job) {
          orphan.type = Type::kWindow;
          orphan.start = l.max_window_end + 1000 * n;
          orphan.end = orphan.start + 1000;
        } else {
          orphan.type = Type::kOutput;
          orphan.id = l.max_id + static_cast<uint64_t>(n);
        }
        edits.inserted.insert({lines->size() - 1, orphan});
        ++planted;
      }
      break;
    case Plant::kAfterFail:
      for (uint32_t key : Pick(last_of_keys(1), k, rng)) {
        (*lines)[l.input_line.at(l.key_ids.at(key).back())].status = SendStatus::kFail;
        ++planted;
      }
      break;
    case Plant::kRetract:
    case Plant::kRetractRedeliver: {
      // Each taken-back output has a source of its own. Where an earlier committed output that
      // is no key's last is free, it shares the source and stays (kept 1), as the head of a
      // segment cut by a power loss does.
      std::vector<size_t> targets;
      std::vector<size_t> heads = l.windows;
      if (window_job) {
        targets = Pick(l.windows, k, rng);
      } else {
        heads.clear();
        for (uint32_t key : Pick(last_of_keys(1), k, rng)) {
          targets.push_back(l.committed.at(l.key_ids.at(key).back()));
        }
        for (const auto& [key, ids] : l.key_ids) {
          for (size_t i = 0; i + 1 < ids.size(); ++i) heads.push_back(l.committed.at(ids[i]));
        }
      }
      std::set<size_t> used(targets.begin(), targets.end());
      heads = Pick(heads, static_cast<int>(heads.size()), rng);
      for (size_t target : targets) {
        const uint32_t source = static_cast<uint32_t>(++planted);
        HistoryLine back;
        back.type = Type::kRetraction;
        back.t = (*lines)[target].t;
        back.source = source;
        for (size_t head : heads) {
          if (head < target && used.insert(head).second) {
            (*lines)[head].source = source;
            back.kept = 1;
            break;
          }
        }
        (*lines)[target].source = source;
        edits.inserted.insert({target, back});
        if (plant == Plant::kRetractRedeliver) {
          HistoryLine again = (*lines)[target];
          again.source = 0;
          edits.inserted.insert({target, again});
        }
      }
      break;
    }
    case Plant::kDropMiddle: {
      std::vector<uint64_t> middle;
      for (const auto& [key, ids] : l.key_ids)
        middle.insert(middle.end(), ids.begin(), ids.end() - 1);
      for (uint64_t id : Pick(middle, k, rng)) {
        for (size_t i : l.all.at(id)) edits.removed.insert(i);
        ++planted;
      }
      break;
    }
  }
  *lines = edits.Apply(*lines);
  return planted;
}

CheckResult CheckLines(const Lines& lines, const SyntheticOptions& options) {
  auto history = ParseHistory(FormatHistory(lines, options));
  if (!history.ok()) RC_FAIL(history.status().ToString());
  return Check(*history);
}

RC_GTEST_PROP(CheckersProperty, ReportExactlyThePlantedAnomalies, ()) {
  SyntheticOptions options;
  options.job = *rc::gen::element(JobKind::kCount, JobKind::kWindowCount, JobKind::kDelivery);
  options.mode = *rc::gen::element(Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce);
  options.seed = *rc::gen::arbitrary<uint64_t>();
  options.inputs = *rc::gen::inRange<int64_t>(10, 120);
  options.keys = *rc::gen::inRange<uint32_t>(1, 7);
  options.partitions = *rc::gen::inRange<int32_t>(1, 4);
  options.faults = *rc::gen::inRange(0, 3);
  options.uncommitted_view = *rc::gen::arbitrary<bool>();
  options.checkpoint_interval_ns = *rc::gen::element<int64_t>(5'000'000, 50'000'000);
  std::vector<PlantSpec> applicable;
  for (const PlantSpec& s : Specs()) {
    if (s.AppliesTo(options.job)) applicable.push_back(s);
  }
  const PlantSpec spec = *rc::gen::elementOf(applicable);
  const int k = *rc::gen::inRange(1, 6);
  const int failed = *rc::gen::inRange(0, 4);
  const int unknown = *rc::gen::inRange(0, 4);
  RC_TAG(spec.name);

  Lines lines = GenerateSyntheticLines(options);
  Rng rng(options.seed ^ 0x5eed);
  AddSendOutcomes(failed, unknown, rng, &lines);
  CheckResult clean = CheckLines(lines, options);
  for (const char* figure : kFigures) RC_ASSERT(clean.Figure(figure) == 0);
  RC_ASSERT(clean.Figure("delivery.failed") == failed);
  RC_ASSERT(clean.Figure("delivery.unknown_missing") == unknown);
  RC_ASSERT(clean.verdict == Verdict::kValid);

  const int planted = PlantAnomalies(spec.plant, options.job, k, rng, &lines);
  RC_PRE(planted > 0);  // a history too small for this kind
  int unknown_delivered = 0;
  if (options.job != JobKind::kWindowCount) {
    unknown_delivered = MarkDeliveredUnknown(*rc::gen::inRange(0, 10), rng, &lines);
  }
  CheckResult r = CheckLines(lines, options);
  std::map<std::string, int64_t> expected;
  for (const char* figure : spec.Figures(options.job)) expected[figure] = planted;
  for (const char* figure : kFigures) {
    const int64_t want = expected.count(figure) ? expected[figure] : 0;
    if (r.Figure(figure) != want) {
      RC_FAIL(std::string(spec.name) + ": " + figure + " is " + std::to_string(r.Figure(figure)) +
              ", expected " + std::to_string(want) + "\n" + FormatHistory(lines, options));
    }
  }
  const int after_fail = spec.plant == Plant::kAfterFail ? planted : 0;
  RC_ASSERT(r.Figure("delivery.failed") == failed + after_fail);
  RC_ASSERT(r.Figure("delivery.unknown_missing") == unknown);
  RC_ASSERT(r.Figure("delivery.unknown_delivered") == unknown_delivered);
  const bool valid = spec.valid[static_cast<int>(options.mode)];
  RC_ASSERT(r.verdict == (valid ? Verdict::kValid : Verdict::kInvalid));
}

TEST(CheckersProperty, CleanHistoriesOfEveryShapeAreValid) {
  for (JobKind job : {JobKind::kCount, JobKind::kWindowCount, JobKind::kDelivery}) {
    for (Mode mode : {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce}) {
      SyntheticOptions options;
      options.job = job;
      options.mode = mode;
      options.inputs = 5000;
      Lines lines = GenerateSyntheticLines(options);
      CheckResult r = CheckLines(lines, options);
      EXPECT_EQ(r.verdict, Verdict::kValid) << FormatSummary(r);
      EXPECT_EQ(r.stats.inputs, 5000u);
      EXPECT_EQ(r.stats.faults, 2u);
      EXPECT_GT(r.Find("availability")->details["latency"]["count"].get<int64_t>(), 0);
    }
  }
}

}  // namespace
}  // namespace faultline::checkers
