#include "checkers/fault_intervals.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace faultline::checkers {

std::vector<FaultInterval> PairFaultEdges(std::vector<FaultEdge> edges) {
  std::stable_sort(edges.begin(), edges.end(),
                   [](const FaultEdge& a, const FaultEdge& b) { return a.t < b.t; });
  using Key = std::tuple<int64_t, std::string, std::string>;
  std::map<Key, size_t> open;  // key -> index into `intervals`
  std::vector<FaultInterval> intervals;
  for (FaultEdge& edge : edges) {
    if (edge.phase == FaultEdge::Phase::kFailed) continue;
    Key key{edge.fault_id, edge.fault, edge.target};
    auto it = open.find(key);
    if (edge.phase == FaultEdge::Phase::kEnd) {
      if (it == open.end()) continue;  // an end without a begin
      intervals[it->second].end = edge.t;
      open.erase(it);
      continue;
    }
    if (it != open.end()) continue;  // already active: the first begin holds
    open.emplace(std::move(key), intervals.size());
    intervals.push_back(
        {std::move(edge.fault), std::move(edge.target), edge.t, kNever, edge.fault_id});
  }
  // Begins were taken in time order, so the intervals already are sorted by begin.
  return intervals;
}

}  // namespace faultline::checkers
