#include "harness/targets.h"

#include <algorithm>
#include <set>

namespace faultline::harness {
namespace {

// `n` of `from`, drawn without replacement, sorted.
std::vector<std::string> Pick(std::vector<std::string> from, size_t n, Rng& rng) {
  for (size_t i = 0; i < from.size(); ++i)
    std::swap(from[i], from[i + rng.Uniform(from.size() - i)]);
  from.resize(std::min(n, from.size()));
  std::sort(from.begin(), from.end());
  return from;
}

// `quantity` of `from`: one, minority, majority, random-subset or all; nullopt if unknown.
std::optional<std::vector<std::string>> Quantify(std::string_view quantity,
                                                 std::vector<std::string> from, Rng& rng) {
  const size_t n = from.size();
  if (quantity == "one") return Pick(std::move(from), 1, rng);
  if (quantity == "minority") return Pick(std::move(from), (n - 1) / 2, rng);
  if (quantity == "majority") return Pick(std::move(from), n / 2 + 1, rng);
  if (quantity == "random-subset") return Pick(std::move(from), 1 + rng.Uniform(n), rng);
  if (quantity == "all") return from;  // in node order
  return std::nullopt;
}

std::string Describe(const std::vector<systems::NodeSpec>& nodes) {
  std::string ids, roles;
  std::set<std::string> seen;
  for (const auto& n : nodes) {
    ids += (ids.empty() ? "" : ", ") + n.id;
    if (seen.insert(n.role).second) roles += (roles.empty() ? "" : ", ") + n.role;
  }
  return "the nodes are " + ids + "; the roles " + roles;
}

}  // namespace

Result<std::vector<std::string>> ResolveTargets(const std::string& target,
                                                const std::vector<systems::NodeSpec>& nodes,
                                                Rng& rng) {
  std::vector<std::string> all;
  for (const auto& n : nodes) all.push_back(n.id);
  auto of_role = [&](std::string_view role) {
    std::vector<std::string> ids;
    for (const auto& n : nodes) {
      if (n.role == role) ids.push_back(n.id);
    }
    return ids;
  };
  std::optional<std::vector<std::string>> picked;
  std::string role;
  if (target.rfind("role:", 0) == 0) {
    std::string rest = target.substr(5);
    size_t colon = rest.find(':');
    role = rest.substr(0, colon);
    std::string quantity = colon == std::string::npos ? "all" : rest.substr(colon + 1);
    if (of_role(role).empty()) {
      return Status::InvalidArgument("fault target '" + target + "': no node has role '" + role +
                                     "' (" + Describe(nodes) + ")");
    }
    picked = Quantify(quantity, of_role(role), rng);
    if (!picked) {
      return Status::InvalidArgument("fault target '" + target + "': expected role:" + role +
                                     " or role:" + role +
                                     ":one|minority|majority|random-subset|all");
    }
  } else if (target == "random-worker" || target == "all-workers") {
    picked = Quantify(target == "random-worker" ? "one" : "all", of_role("worker"), rng);
  } else if (target == "minority" || target == "majority" || target == "random-subset") {
    picked = Quantify(target, all, rng);
  } else if (std::find(all.begin(), all.end(), target) != all.end()) {
    picked = std::vector<std::string>{target};
  } else {
    return Status::InvalidArgument(
        "unknown fault target '" + target +
        "' (a node id, role:ROLE[:one|minority|majority|random-subset|all], random-worker, "
        "all-workers, minority, majority or random-subset; " +
        Describe(nodes) + ")");
  }
  if (picked->empty()) {
    return Status::InvalidArgument("fault target '" + target + "' selects no node (" +
                                   Describe(nodes) + ")");
  }
  return *picked;
}

}  // namespace faultline::harness
