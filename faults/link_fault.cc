#include "faults/link_fault.h"

#include <algorithm>

#include "base/json.h"
#include "faults/fault_kind.h"

namespace faultline::faults {
namespace {

using Links = std::vector<std::pair<std::string, std::string>>;
using nlohmann::json;

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::string> Without(const std::vector<std::string>& all,
                                 const std::vector<std::string>& drop) {
  std::vector<std::string> out;
  for (const auto& n : all) {
    if (!Contains(drop, n)) out.push_back(n);
  }
  return out;
}

void Shuffle(std::vector<std::string>* v, Rng& rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng.Uniform(i)]);
}

Status CheckNodes(const LinkFault& fault, const std::vector<std::string>& nodes,
                  std::string_view what) {
  for (const auto& n : nodes) {
    if (!Contains(fault.all_nodes, n)) {
      return Status::InvalidArgument(fault.kind + " fault: " + std::string(what) + " '" + n +
                                     "' is not a node of the cluster");
    }
  }
  return Status::Ok();
}

Status RequireTargets(const LinkFault& fault, std::string_view why) {
  if (fault.targets.empty()) {
    std::string context = why.empty() ? "" : " (" + std::string(why) + ")";
    return Status::InvalidArgument(fault.kind + " fault" + context + ": needs at least one target");
  }
  return Status::Ok();
}

// Cuts every a -> b with a in `from`, b in `to`, a != b; and b -> a too unless one-way.
void CutBetween(const std::vector<std::string>& from, const std::vector<std::string>& to,
                bool one_way, std::set<Cut>* cuts) {
  for (const auto& a : from) {
    for (const auto& b : to) {
      if (a == b) continue;
      cuts->insert(Cut{a, b});
      if (!one_way) cuts->insert(Cut{b, a});
    }
  }
}

Result<std::vector<std::pair<std::string, std::string>>> ReadPairs(JsonObject& p,
                                                                   const LinkFault& fault) {
  const json* items = p.Raw("pairs");
  if (items == nullptr) return p.Error("pairs", "missing (required for shape pairs)");
  if (!items->is_array()) return p.Error("pairs", "expected an array, got " + JsonTypeName(*items));
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i < items->size(); ++i) {
    const json& item = (*items)[i];
    if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
      return p.Error("pairs", "element " + std::to_string(i) + ": expected [\"a\", \"b\"], got " +
                                  item.dump());
    }
    pairs.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
    RETURN_IF_ERROR(CheckNodes(fault, {pairs.back().first, pairs.back().second}, "pair node"));
  }
  return pairs;
}

const json& ParamsOf(const LinkFault& fault) {
  static const json kEmpty = json::object();
  return fault.params.is_null() ? kEmpty : fault.params;
}

}  // namespace

bool IsLinkFaultKind(std::string_view kind) {
  auto k = ParseFaultKind(kind);
  return k && InfoOf(*k).family == FaultFamily::kLink;
}

const char* LinkActionKindName(LinkAction::Kind kind) {
  switch (kind) {
    case LinkAction::Kind::kPartition:
      return "partition";
    case LinkAction::Kind::kDelay:
      return "delay";
    case LinkAction::Kind::kBandwidth:
      return "bandwidth";
    case LinkAction::Kind::kReset:
      return "reset";
    case LinkAction::Kind::kBarrierHold:
      return "barrier-hold";
    case LinkAction::Kind::kCorrupt:
      return "corrupt";
  }
  return "?";
}

Result<std::set<Cut>> PartitionCuts(const LinkFault& fault, Rng& rng) {
  JsonObject p(ParamsOf(fault), "$.params", "partition fault");
  std::string shape = "isolate";
  std::string direction = "both";
  RETURN_IF_ERROR(p.Enum("shape", &shape, {"isolate", "halves", "bridge", "ring", "pairs"}));
  RETURN_IF_ERROR(p.Enum("direction", &direction, {"both", "one-way"}));
  std::vector<std::pair<std::string, std::string>> pairs;
  if (shape == "pairs") {
    ASSIGN_OR_RETURN(pairs, ReadPairs(p, fault));
  }
  RETURN_IF_ERROR(p.Finish());
  RETURN_IF_ERROR(CheckNodes(fault, fault.targets, "target"));
  bool one_way = direction == "one-way";
  const auto& all = fault.all_nodes;
  std::set<Cut> cuts;
  if (shape == "isolate") {
    RETURN_IF_ERROR(RequireTargets(fault, "shape isolate"));
    for (const auto& t : fault.targets) CutBetween({t}, all, one_way, &cuts);
  } else if (shape == "halves") {
    RETURN_IF_ERROR(RequireTargets(fault, "shape halves"));
    CutBetween(fault.targets, Without(all, fault.targets), one_way, &cuts);
  } else if (shape == "bridge") {
    RETURN_IF_ERROR(RequireTargets(fault, "shape bridge"));
    std::vector<std::string> rest = Without(all, {fault.targets[0]});
    Shuffle(&rest, rng);
    auto middle = rest.begin() + static_cast<std::ptrdiff_t>((rest.size() + 1) / 2);
    CutBetween({rest.begin(), middle}, {middle, rest.end()}, one_way, &cuts);
  } else if (shape == "ring") {
    std::vector<std::string> order = all;
    Shuffle(&order, rng);
    size_t n = order.size();
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        bool neighbours = j == i + 1 || (i == 0 && j == n - 1);
        if (!neighbours) CutBetween({order[i]}, {order[j]}, one_way, &cuts);
      }
    }
  } else {
    for (const auto& [a, b] : pairs) CutBetween({a}, {b}, one_way, &cuts);
  }
  return cuts;
}

std::vector<LinkAction> CutsToActions(const std::set<Cut>& cuts, const Links& links) {
  std::vector<LinkAction> actions;
  for (const auto& [from, to] : links) {
    if (cuts.count(Cut{from, to}) > 0) {
      actions.push_back(LinkAction{.from = from, .to = to, .dir = Direction::kForward});
    }
    if (cuts.count(Cut{to, from}) > 0) {
      actions.push_back(LinkAction{.from = from, .to = to, .dir = Direction::kBackward});
    }
  }
  return actions;
}

Result<std::vector<LinkAction>> PlanLinkFault(const LinkFault& fault, const Links& links,
                                              Rng& rng) {
  if (fault.kind == "partition") {
    ASSIGN_OR_RETURN(std::set<Cut> cuts, PartitionCuts(fault, rng));
    return CutsToActions(cuts, links);
  }
  JsonObject p(ParamsOf(fault), "$.params", fault.kind + " fault");
  using Need = JsonObject::Need;
  LinkAction proto;
  if (fault.kind == "delay") {
    proto.kind = LinkAction::Kind::kDelay;
    RETURN_IF_ERROR(p.Int("delay_ms", &proto.delay_ms, {.min = 0}, Need::kRequired));
    RETURN_IF_ERROR(p.Int("jitter_ms", &proto.jitter_ms, {.min = 0}));
  } else if (fault.kind == "bandwidth") {
    proto.kind = LinkAction::Kind::kBandwidth;
    RETURN_IF_ERROR(p.Int("bytes_per_s", &proto.bytes_per_s, {.min = 1}, Need::kRequired));
  } else if (fault.kind == "reset") {
    proto.kind = LinkAction::Kind::kReset;
  } else if (fault.kind == "barrier-hold") {
    proto.kind = LinkAction::Kind::kBarrierHold;
    RETURN_IF_ERROR(p.Int("hold_ms", &proto.hold_ms, {.min = 1}, Need::kRequired));
    RETURN_IF_ERROR(p.Int("every_k", &proto.every_k, {.min = 0}));
    RETURN_IF_ERROR(p.Int("from_id", &proto.from_id, {.min = 0}));
  } else if (fault.kind == "corrupt") {
    proto.kind = LinkAction::Kind::kCorrupt;
    proto.frames = 1;
    RETURN_IF_ERROR(p.Int("frames", &proto.frames, {.min = 1, .max = 1'000'000}));
  } else {
    return Status::InvalidArgument(
        "link fault: unknown kind '" + fault.kind +
        "' (expected one of: partition, delay, bandwidth, reset, barrier-hold, corrupt)");
  }
  RETURN_IF_ERROR(p.Finish());
  RETURN_IF_ERROR(RequireTargets(fault, ""));
  RETURN_IF_ERROR(CheckNodes(fault, fault.targets, "target"));
  std::vector<LinkAction> actions;
  auto add = [&](const std::string& from, const std::string& to, Direction dir) {
    LinkAction a = proto;
    a.from = from;
    a.to = to;
    a.dir = dir;
    a.seed = rng.Next();
    actions.push_back(std::move(a));
  };
  for (const auto& [from, to] : links) {
    bool from_target = Contains(fault.targets, from);
    bool to_target = Contains(fault.targets, to);
    switch (proto.kind) {
      case LinkAction::Kind::kDelay:
      case LinkAction::Kind::kBandwidth:
        if (from_target || to_target) {
          add(from, to, Direction::kForward);
          add(from, to, Direction::kBackward);
        }
        break;
      case LinkAction::Kind::kReset:
        if (from_target || to_target) add(from, to, Direction::kForward);
        break;
      case LinkAction::Kind::kBarrierHold:
        if (to_target) add(from, to, Direction::kForward);
        break;
      case LinkAction::Kind::kCorrupt:
        if (to_target) add(from, to, Direction::kForward);
        if (from_target) add(from, to, Direction::kBackward);
        break;
      case LinkAction::Kind::kPartition:
        break;
    }
  }
  return actions;
}

}  // namespace faultline::faults
