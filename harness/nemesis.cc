#include "harness/nemesis.h"

#include <signal.h>

#include <algorithm>

#include "base/clock.h"
#include "base/logging.h"
#include "faults/link_fault.h"
#include "harness/cluster_network.h"

namespace faultline::harness {
namespace {

Result<std::vector<std::string>> ResolveTargets(const std::string& target,
                                                const std::vector<std::string>& workers, Rng& rng) {
  std::vector<std::string> all = {"coordinator"};
  all.insert(all.end(), workers.begin(), workers.end());
  auto pick = [&](std::vector<std::string> from, size_t n) {
    for (size_t i = 0; i < from.size(); ++i)
      std::swap(from[i], from[i + rng.Uniform(from.size() - i)]);
    from.resize(std::min(n, from.size()));
    std::sort(from.begin(), from.end());
    return from;
  };
  if (target == "random-worker") return pick(workers, 1);
  if (target == "all-workers") return workers;
  if (target == "minority") return pick(all, (all.size() - 1) / 2);
  if (target == "majority") return pick(all, all.size() / 2 + 1);
  if (target == "random-subset") return pick(all, 1 + rng.Uniform(all.size()));
  if (std::find(all.begin(), all.end(), target) != all.end())
    return std::vector<std::string>{target};
  return Status::InvalidArgument("unknown fault target '" + target +
                                 "' (a node id, coordinator, random-worker, all-workers, minority, "
                                 "majority or random-subset)");
}

}  // namespace

Result<std::vector<PlannedFault>> PlanFaults(const Scenario& scenario,
                                             const std::vector<std::string>& workers, Rng rng) {
  std::vector<PlannedFault> all;
  for (size_t i = 0; i < scenario.nemesis.size(); ++i) {
    const FaultSpec& f = scenario.nemesis[i];
    Rng local = rng.Fork("fault-" + std::to_string(i));
    std::vector<double> begins;
    if (f.at_s) {
      begins.push_back(*f.at_s);
    } else if (f.every_s) {
      for (double t = f.start_s; t < scenario.duration_s; t += *f.every_s) begins.push_back(t);
    } else {
      for (double t = f.start_s + local.Exponential(*f.mean_interval_s); t < scenario.duration_s;
           t += f.duration_s + local.Exponential(*f.mean_interval_s)) {
        begins.push_back(t);
      }
    }
    for (double b : begins) {
      if (b >= scenario.duration_s) continue;
      auto targets = ResolveTargets(f.target, workers, local);
      if (!targets.ok()) {
        return targets.status().WithContext("$.nemesis[" + std::to_string(i) + "].target");
      }
      all.push_back({0, static_cast<int>(i), f.fault, *targets, b, b + f.duration_s, f.params});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const PlannedFault& a, const PlannedFault& b) {
    return a.begin_s < b.begin_s;
  });
  // At most max_active overlapping faults, and never two at once on the same node.
  std::vector<PlannedFault> kept;
  for (PlannedFault f : all) {
    int overlapping = 0;
    bool same_node = false;
    for (const PlannedFault& k : kept) {
      if (k.end_s <= f.begin_s) continue;
      ++overlapping;
      for (const auto& t : f.targets) {
        same_node |= std::find(k.targets.begin(), k.targets.end(), t) != k.targets.end();
      }
    }
    if (overlapping < scenario.max_active_faults && !same_node) {
      f.id = static_cast<int>(kept.size());
      kept.push_back(std::move(f));
    }
  }
  return kept;
}

namespace {

using faults::IsLinkFaultKind;

// The failpoint a failpoint or disk fault arms: (name, spec).
Result<std::pair<std::string, std::string>> FaultFailpoint(const PlannedFault& f) {
  if (f.fault == "disk") return DiskFailpoint(f.params, "params", "disk fault");
  if (!f.params.contains("name") || !f.params["name"].is_string())
    return Status::InvalidArgument("a failpoint fault needs params.name (and params.spec)");
  return std::make_pair(f.params["name"].get<std::string>(), f.params.value("spec", "crash"));
}

class ClusterFaultActions : public FaultActions {
 public:
  ClusterFaultActions(NodeMap* nodes, HistoryWriter* history, ClusterNetwork* network, Rng rng)
      : nodes_(nodes), history_(history), network_(network), rng_(rng) {}

  Status Validate(const PlannedFault& f) override {
    if (IsLinkFaultKind(f.fault)) {
      if (network_->links() == nullptr) {
        return Status::InvalidArgument("link fault '" + f.fault +
                                       "' needs \"cluster\": {\"network\": \"proxy\"}");
      }
      return network_->links()->CheckKind(f.fault);
    }
    static const std::vector<std::string> kSupported = {"kill",    "terminate", "pause",
                                                        "restart", "failpoint", "disk"};
    if (std::find(kSupported.begin(), kSupported.end(), f.fault) == kSupported.end()) {
      return Status::InvalidArgument("fault '" + f.fault + "' is not supported by this build");
    }
    if (f.fault == "failpoint" || f.fault == "disk") RETURN_IF_ERROR(FaultFailpoint(f).status());
    for (const auto& t : f.targets) {
      if (nodes_->count(t) == 0) return Status::InvalidArgument("no node '" + t + "'");
    }
    return Status::Ok();
  }

  Status Begin(const PlannedFault& f) override {
    RecordFault(f, "begin");
    if (IsLinkFaultKind(f.fault)) {
      std::vector<std::string> all;
      for (const auto& [id, n] : *nodes_) all.push_back(id);
      auto handle = network_->links()->Begin({f.fault, f.targets, all, f.params},
                                             rng_.Fork("link-" + std::to_string(f.id)));
      if (!handle.ok()) return handle.status().WithContext(f.fault);
      link_handles_[f.id] = *handle;
      return Status::Ok();
    }
    for (const auto& t : f.targets) {
      NodeProcess& n = *nodes_->at(t);
      Status s;
      if (f.fault == "kill") {
        s = n.Kill();
      } else if (f.fault == "terminate") {
        s = n.Signal(SIGTERM);
      } else if (f.fault == "pause") {
        s = n.Pause();
      } else if (f.fault == "restart") {
        s = n.Stop(5000);
        if (s.ok()) s = n.Start();
      } else if (f.fault == "failpoint" || f.fault == "disk") {
        auto [name, spec] = *FaultFailpoint(f);  // checked by Validate
        s = Admin(t, {{"type", "failpoint"}, {"name", name}, {"spec", spec}});
      }
      if (!s.ok()) FL_LOG(Warning) << f.fault << " " << t << ": " << s.ToString();
    }
    return Status::Ok();
  }

  Status End(const PlannedFault& f) override {
    if (IsLinkFaultKind(f.fault)) {
      auto it = link_handles_.find(f.id);
      if (it != link_handles_.end()) {
        Status s = network_->links()->End(it->second);
        link_handles_.erase(it);
        if (!s.ok()) FL_LOG(Warning) << "healing " << f.fault << ": " << s.ToString();
      }
      RecordFault(f, "end");
      return Status::Ok();
    }
    for (const auto& t : f.targets) {
      NodeProcess& n = *nodes_->at(t);
      Status s;
      if (f.fault == "pause") {
        s = n.Resume();
      } else if (f.fault == "failpoint" || f.fault == "disk") {
        // The armed failpoint may have crashed the node: disarm if it lives, restart if not.
        if (n.Running())
          s = Admin(t,
                    {{"type", "failpoint"}, {"name", FaultFailpoint(f)->first}, {"spec", "off"}});
      }
      bool armed = f.fault == "failpoint" || f.fault == "disk";
      if ((f.fault == "kill" || f.fault == "terminate" || armed) &&
          f.params.value("restart", true)) {
        if (n.Running() && !armed) (void)n.Stop(5000);
        if (!n.Running()) s = n.Start();
      }
      if (!s.ok()) FL_LOG(Warning) << "healing " << f.fault << " " << t << ": " << s.ToString();
    }
    RecordFault(f, "end");
    return Status::Ok();
  }

 private:
  Status Admin(const std::string& node, const nlohmann::json& request) {
    return network_->Admin(node, request, 2000).status();
  }

  void RecordFault(const PlannedFault& f, const char* phase) {
    for (const auto& t : f.targets) {
      nlohmann::json j = {{"type", "fault"}, {"fault", f.fault}, {"target", t}, {"phase", phase}};
      if (!f.params.empty()) j["params"] = f.params;
      history_->Write(std::move(j));
    }
  }

  NodeMap* nodes_;
  HistoryWriter* history_;
  ClusterNetwork* network_;
  Rng rng_;
  std::map<int, int> link_handles_;  // planned fault id -> network handle
};

}  // namespace

std::unique_ptr<FaultActions> MakeClusterFaultActions(NodeMap* nodes, HistoryWriter* history,
                                                      ClusterNetwork* network, Rng rng) {
  return std::make_unique<ClusterFaultActions>(nodes, history, network, rng);
}

Status NemesisRunner::Tick() {
  double now_s = static_cast<double>(MonotonicNanos() - start_ns_) / 1e9;
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->end_s <= now_s) {
      RETURN_IF_ERROR(actions_->End(*it));
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  while (next_ < plan_.size() && plan_[next_].begin_s <= now_s) {
    RETURN_IF_ERROR(actions_->Begin(plan_[next_]));
    active_.push_back(plan_[next_]);
    ++next_;
  }
  return Status::Ok();
}

Status NemesisRunner::HealAll() {
  for (const PlannedFault& f : active_) RETURN_IF_ERROR(actions_->End(f));
  active_.clear();
  next_ = plan_.size();
  return Status::Ok();
}

std::vector<std::string> NemesisRunner::ActiveDescriptions() const {
  std::vector<std::string> out;
  for (const auto& f : active_) {
    std::string targets;
    for (const auto& t : f.targets) targets += (targets.empty() ? "" : ",") + t;
    out.push_back(f.fault + " " + targets);
  }
  return out;
}

}  // namespace faultline::harness
