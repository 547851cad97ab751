// Property: PairFaultEdges agrees with a model that follows each (fault_id, fault, target) key
// on its own through closed -> open -> closed, and `failed` edges change nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "checkers/fault_intervals.h"

namespace faultline::checkers {
namespace {

using Phase = FaultEdge::Phase;
using Key = std::tuple<int64_t, std::string, std::string>;
using Row = std::tuple<int64_t, int64_t, int64_t, std::string, std::string>;  // begin, end, key

std::vector<FaultEdge> RandomEdges() {
  const int n = *rc::gen::inRange(0, 40);
  std::vector<FaultEdge> edges;
  for (int i = 0; i < n; ++i) {
    FaultEdge e;
    e.t = *rc::gen::inRange<int64_t>(0, 30);  // few distinct times: many ties
    e.phase = *rc::gen::element(Phase::kBegin, Phase::kEnd, Phase::kFailed);
    e.fault_id = *rc::gen::element<int64_t>(-1, 1, 2);
    e.fault = *rc::gen::element<std::string>("kill", "pause");
    e.target = *rc::gen::element<std::string>("w1", "w2");
    edges.push_back(e);
  }
  return edges;
}

std::vector<Row> Rows(const std::vector<FaultInterval>& intervals) {
  std::vector<Row> rows;
  for (const FaultInterval& f : intervals) {
    rows.push_back({f.begin, f.end, f.fault_id, f.fault, f.target});
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Each key alone, its edges in time order (ties in input order).
std::vector<Row> Model(const std::vector<FaultEdge>& edges) {
  std::map<Key, std::vector<const FaultEdge*>> by_key;
  for (const FaultEdge& e : edges) by_key[{e.fault_id, e.fault, e.target}].push_back(&e);
  std::vector<Row> rows;
  for (auto& [key, list] : by_key) {
    std::stable_sort(list.begin(), list.end(),
                     [](const FaultEdge* a, const FaultEdge* b) { return a->t < b->t; });
    bool open = false;
    int64_t begin = 0;
    for (const FaultEdge* e : list) {
      if (e->phase == Phase::kBegin && !open) {
        open = true;
        begin = e->t;
      } else if (e->phase == Phase::kEnd && open) {
        open = false;
        rows.push_back({begin, e->t, std::get<0>(key), std::get<1>(key), std::get<2>(key)});
      }
    }
    if (open) rows.push_back({begin, kNever, std::get<0>(key), std::get<1>(key), std::get<2>(key)});
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

RC_GTEST_PROP(FaultIntervalsProperty, AgreeWithThePerKeyModel, ()) {
  const std::vector<FaultEdge> edges = RandomEdges();
  const std::vector<FaultInterval> intervals = PairFaultEdges(edges);
  RC_ASSERT(Rows(intervals) == Model(edges));
  RC_ASSERT(std::is_sorted(
      intervals.begin(), intervals.end(),
      [](const FaultInterval& a, const FaultInterval& b) { return a.begin < b.begin; }));
  for (const FaultInterval& f : intervals) RC_ASSERT(f.begin <= f.end);

  std::vector<FaultEdge> without_failed;
  for (const FaultEdge& e : edges) {
    if (e.phase != Phase::kFailed) without_failed.push_back(e);
  }
  RC_ASSERT(Rows(PairFaultEdges(without_failed)) == Rows(intervals));
}

TEST(FaultIntervals, FirstBeginHoldsAndStrayEndsAreIgnored) {
  auto edge = [](int64_t t, Phase phase, int64_t id = -1) {
    return FaultEdge{t, phase, id, "kill", "w1"};
  };
  std::vector<FaultInterval> f =
      PairFaultEdges({edge(1, Phase::kEnd), edge(2, Phase::kBegin), edge(3, Phase::kBegin),
                      edge(4, Phase::kEnd), edge(5, Phase::kEnd), edge(6, Phase::kBegin)});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].begin, 2);
  EXPECT_EQ(f[0].end, 4);
  EXPECT_EQ(f[1].begin, 6);
  EXPECT_EQ(f[1].end, kNever);
  // The same fault and target under two plan ids: two keys, two intervals at once.
  f = PairFaultEdges({edge(1, Phase::kBegin, 7), edge(2, Phase::kBegin, 8), edge(3, Phase::kEnd, 8),
                      edge(4, Phase::kEnd, 7)});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].fault_id, 7);
  EXPECT_EQ(f[0].end, 4);
  EXPECT_EQ(f[1].fault_id, 8);
  EXPECT_EQ(f[1].end, 3);
}

}  // namespace
}  // namespace faultline::checkers
