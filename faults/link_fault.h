#pragma once

#include <compare>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "faults/link_proxy.h"

namespace faultline::faults {

// A link fault as the nemesis asks for it. Kinds and their params (any other key is an
// InvalidArgument naming it):
//   partition     shape: isolate (default) | halves | bridge | ring | pairs
//                 direction: both (default) | one-way;  pairs: [["a","b"], ...] (shape pairs)
//   delay         delay_ms (required), jitter_ms (default 0): targets' links, both directions
//   bandwidth     bytes_per_s (required): targets' links, both directions
//   reset         no params: RST every connection of the targets' links
//   barrier-hold  hold_ms (required), every_k, from_id (default 0 = any): links whose `to` is a
//                 target, forward direction
//   corrupt       frames (default 1): every stream the targets receive (links whose `to` is a
//                 target, forward; links whose `from` is a target, backward)
// Partition shapes, as directed cuts "a cannot send to b":
//   isolate  each target is cut from every other node (other targets included).
//   halves   the targets vs the rest.
//   bridge   targets[0] is the bridge; the other nodes, in a seeded shuffle, form two halves
//            (the first gets the extra node) that are cut from each other; the bridge sees both.
//   ring     the nodes in a seeded ring order; each sees only its two neighbours (targets
//            ignored).
//   pairs    exactly the listed pairs.
// direction one-way keeps only the cuts leaving the targets (isolate, halves), leaving the
// first half (bridge), going forward in ring order (ring), or from a to b (pairs): the others
// can still send to them.
struct LinkFault {
  std::string kind;  // partition | delay | reset | bandwidth | barrier-hold | corrupt
  std::vector<std::string> targets;    // node ids picked by the nemesis
  std::vector<std::string> all_nodes;  // every node id ("coordinator", "worker-1", ...)
  nlohmann::json params;               // see above; null = {}
};

// Whether scenarios' fault `kind` is a link fault (one of LinkFault's kinds).
bool IsLinkFaultKind(std::string_view kind);

// A directed cut between nodes: bytes from `from` to `to` are held.
struct Cut {
  std::string from;
  std::string to;
  auto operator<=>(const Cut&) const = default;
};

// What a fault does to one direction of one proxy (the proxy of link from->to, where `from`
// dials `to`).
struct LinkAction {
  enum class Kind { kPartition, kDelay, kBandwidth, kReset, kBarrierHold, kCorrupt };
  std::string from;
  std::string to;
  Direction dir = Direction::kForward;
  Kind kind = Kind::kPartition;
  int64_t delay_ms = 0;
  int64_t jitter_ms = 0;
  int64_t bytes_per_s = 0;
  int64_t hold_ms = 0;
  int64_t every_k = 0;
  int64_t from_id = 0;
  int frames = 0;
  uint64_t seed = 0;  // of the Rng for jitter or corruption positions
};
const char* LinkActionKindName(LinkAction::Kind kind);

// The directed cuts of a partition fault (params validated), for the nodes of fault.all_nodes.
Result<std::set<Cut>> PartitionCuts(const LinkFault& fault, Rng& rng);

// Which directions of which links carry the bytes of `cuts`: for a cut a->b, the forward
// direction of link (a, b) and the backward direction of link (b, a), where they exist.
std::vector<LinkAction> CutsToActions(
    const std::set<Cut>& cuts, const std::vector<std::pair<std::string, std::string>>& links);

// Validates `fault` and plans it over `links` ((from, to) pairs, `from` dials `to`). Pure: the
// same fault, links and rng state give the same plan. Reset actions use Direction::kForward.
Result<std::vector<LinkAction>> PlanLinkFault(
    const LinkFault& fault, const std::vector<std::pair<std::string, std::string>>& links,
    Rng& rng);

}  // namespace faultline::faults
