#include "harness/nemesis.h"

#include <signal.h>

#include <algorithm>

#include "base/clock.h"
#include "base/logging.h"
#include "faults/link_fault.h"
#include "harness/targets.h"
#include "systems/node_set.h"

namespace faultline::harness {

using faults::FaultFamily;
using faults::FaultKind;

Result<FaultSchedule> PlanFaults(const Scenario& scenario,
                                 const std::vector<systems::NodeSpec>& nodes, Rng rng) {
  FaultSchedule schedule;
  if (scenario.plan) {
    schedule.faults = *scenario.plan;
    return schedule;
  }
  std::vector<PlannedFault> all;
  for (size_t i = 0; i < scenario.nemesis.size(); ++i) {
    const FaultSpec& f = scenario.nemesis[i];
    const std::string path = "$.nemesis[" + std::to_string(i) + "]";
    auto kind = faults::ParseFaultKind(f.fault);
    if (!kind) return Status::InvalidArgument(path + ".fault: unknown fault '" + f.fault + "'");
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
    for (size_t n = 0; n < begins.size(); ++n) {
      const double b = begins[n];
      if (b >= scenario.duration_s) continue;
      auto targets = ResolveTargets(f.target, nodes, local);
      if (!targets.ok()) return targets.status().WithContext(path + ".target");
      PlannedFault p;
      p.key = std::to_string(i) + "." + std::to_string(n);
      p.origin = path;
      p.kind = *kind;
      p.fault = f.fault;
      p.targets = std::move(*targets);
      p.begin_s = b;
      p.end_s = b + f.duration_s;
      p.params = f.params;
      all.push_back(std::move(p));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const PlannedFault& a, const PlannedFault& b) {
    return a.begin_s < b.begin_s;
  });
  for (PlannedFault& f : all) {
    if (PlanConflict(schedule.faults, f, scenario.max_active_faults).empty()) {
      f.id = static_cast<int>(schedule.faults.size());
      schedule.faults.push_back(std::move(f));
    } else {
      schedule.dropped.push_back(std::move(f));
    }
  }
  return schedule;
}

namespace {

// The failpoint a failpoint or disk fault arms: (name, spec).
Result<std::pair<std::string, std::string>> FaultFailpoint(const PlannedFault& f) {
  if (f.kind == FaultKind::kDisk) return DiskFailpoint(f.params, "params", "disk fault");
  if (!f.params.contains("name") || !f.params["name"].is_string())
    return Status::InvalidArgument("a failpoint fault needs params.name (and params.spec)");
  return std::make_pair(f.params["name"].get<std::string>(), f.params.value("spec", "crash"));
}

// The faultfs command a filesystem fault's params ask for, for process groups `pgids`.
Result<nlohmann::json> FilesystemCommand(const PlannedFault& f, const std::set<int>& pgids) {
  const nlohmann::json& p = f.params.is_object() ? f.params : nlohmann::json::object();
  nlohmann::json c;
  if (f.kind == FaultKind::kFsError) {
    const std::string pattern = p.value("pattern", "*");
    if (pattern.empty() || (pattern[0] != '/' && pattern[0] != '*')) {
      return Status::InvalidArgument("params.pattern \"" + pattern +
                                     "\" would match nothing: patterns match paths inside the "
                                     "mounts, such as \"/output/*\" or \"*/pending/*\"");
    }
    c = {{"op", "error"},
         {"pattern", pattern},
         {"errno", p.contains("errno") ? p["errno"] : nlohmann::json("EIO")},
         {"count", p.value("count", int64_t{-1})},
         {"probability", p.value("probability", 1.0)}};
    if (p.contains("ops")) c["ops"] = p["ops"];
  } else if (f.kind == FaultKind::kFsSlow) {
    if (!p.contains("fsync_ms") || !p["fsync_ms"].is_number_integer() ||
        p["fsync_ms"].get<int64_t>() <= 0)
      return Status::InvalidArgument("fs-slow needs params.fsync_ms, a number of ms > 0");
    c = {{"op", "slow"}, {"fsync_ms", p["fsync_ms"]}};
  }
  if (!pgids.empty()) c["pgids"] = pgids;
  return c;
}

// A disk fault carried out by faultfs, for a system without storage failpoints: the same
// params (op, error, count, probability) as an `error` rule for the node's process group.
Result<nlohmann::json> DiskAsFaultFs(const PlannedFault& f, int pgid) {
  const nlohmann::json p = f.params.is_object() ? f.params : nlohmann::json::object();
  const std::string error = p.value("error", "EIO");
  if (error == "torn")
    return Status::InvalidArgument("a torn disk write needs the system's storage failpoints");
  nlohmann::json c = {
      {"op", "error"},
      {"ops", {p.value("op", "write")}},
      {"errno", error},
      {"count", p.value("count", int64_t{1}) == 0 ? int64_t{-1} : p.value("count", int64_t{1})},
      {"probability", p.value("probability", 100) / 100.0}};
  if (pgid > 0) c["pgids"] = {pgid};
  return c;
}

class SystemFaultActions : public FaultActions {
 public:
  SystemFaultActions(systems::System* system, systems::Network* network,
                     systems::FaultFsMounts* faultfs, HistoryWriter* history, Rng rng)
      : system_(system), network_(network), faultfs_(faultfs), history_(history), rng_(rng) {}

  Status Validate(const PlannedFault& f) override {
    const faults::FaultKindInfo& info = faults::InfoOf(f.kind);
    const systems::Capabilities caps = system_->capabilities();
    if (info.needs_runtime_frames && !caps.runtime_frames) {
      return Status::InvalidArgument("fault '" + f.fault +
                                     "' reads the built-in runtime's frames on the wire; system '" +
                                     std::string(system_->kind()) + "' does not speak them");
    }
    switch (info.family) {
      case FaultFamily::kLink:
        if (network_->links() == nullptr && network_->kind() == "direct") {
          return Status::InvalidArgument("link fault '" + f.fault +
                                         "' needs \"cluster\": {\"network\": \"proxy\"}");
        }
        if (network_->links() == nullptr) {
          return Status::InvalidArgument("link fault '" + f.fault + "': system '" +
                                         std::string(system_->kind()) + "' declares no links");
        }
        RETURN_IF_ERROR(network_->links()->CheckKind(f.fault));
        break;
      case FaultFamily::kFailpoint:
        if (f.kind == FaultKind::kDisk && !caps.failpoints && faultfs_ != nullptr) {
          RETURN_IF_ERROR(FaultFailpoint(f).status());  // its params, checked once
          RETURN_IF_ERROR(DiskAsFaultFs(f, 0).status());
          break;
        }
        if (!caps.failpoints) {
          return Status::InvalidArgument("fault '" + f.fault + "' arms failpoints; system '" +
                                         std::string(system_->kind()) + "' has none");
        }
        RETURN_IF_ERROR(FaultFailpoint(f).status());
        break;
      case FaultFamily::kFilesystem:
        if (faultfs_ == nullptr) {
          return Status::InvalidArgument("fault '" + f.fault +
                                         "' needs faultfs: \"cluster\": {\"faultfs\": true}");
        }
        if (f.kind != FaultKind::kPowerLoss) RETURN_IF_ERROR(FilesystemCommand(f, {}).status());
        break;
      case FaultFamily::kJob:
        if (!caps.rescale) {
          return Status::InvalidArgument("fault '" + f.fault + "': system '" +
                                         std::string(system_->kind()) + "' cannot rescale its job");
        }
        if (f.targets.size() != 1) {
          return Status::InvalidArgument("fault '" + f.fault +
                                         "' needs one target, the node that runs the job");
        }
        RETURN_IF_ERROR(system_->CheckRescale(f.targets[0], f.params));
        break;
      case FaultFamily::kProcess:
        break;
    }
    if (info.family == FaultFamily::kLink) return Status::Ok();
    for (const auto& t : f.targets) {
      for (const auto& c : system_->Clients()) {
        if (c.id == t) {
          return Status::InvalidArgument("'" + t +
                                         "' is a client of the harness, not a node: only "
                                         "link faults can target it");
        }
      }
      RETURN_IF_ERROR(system_->nodes().Get(t).status());
    }
    return Status::Ok();
  }

  std::vector<std::string> Begin(const PlannedFault& f) override {
    std::vector<std::string> took;
    if (faults::InfoOf(f.kind).family == FaultFamily::kLink) {
      auto handle = network_->links()->Begin({f.fault, f.targets, network_->endpoints(), f.params},
                                             rng_.Fork(f.rng_label()));
      for (const auto& t : f.targets) {
        Record(f, t, handle.ok() ? "begin" : "failed", handle.status());
      }
      if (!handle.ok()) return took;
      link_handles_[f.id] = *handle;
      return f.targets;
    }
    for (const auto& t : f.targets) {
      last_detail_ = nlohmann::json();
      Status s = BeginOn(f, *system_->nodes().Find(t));
      Record(f, t, s.ok() ? "begin" : "failed", s, last_detail_);
      if (s.ok()) took.push_back(t);
    }
    return took;
  }

  void End(const PlannedFault& f) override {
    if (faults::InfoOf(f.kind).family == FaultFamily::kLink) {
      auto it = link_handles_.find(f.id);
      if (it != link_handles_.end()) {
        Status s = network_->links()->End(it->second);
        link_handles_.erase(it);
        if (!s.ok()) FL_LOG(Warning) << "healing " << f.fault << ": " << s.ToString();
      }
      for (const auto& t : f.targets) Record(f, t, "end", Status::Ok());
      return;
    }
    for (const auto& t : f.targets) {
      Status s = EndOn(f, *system_->nodes().Find(t));
      if (!s.ok()) FL_LOG(Warning) << "healing " << f.fault << " " << t << ": " << s.ToString();
      Record(f, t, "end", Status::Ok());
    }
  }

 private:
  Status BeginOn(const PlannedFault& f, systems::NodeProcess& n) {
    auto running = [&]() -> Status {
      return n.Running() ? Status::Ok() : Status::Unavailable(n.id() + " is not running");
    };
    switch (f.kind) {
      case FaultKind::kKill:
        RETURN_IF_ERROR(running());
        return n.Kill();
      case FaultKind::kTerminate:
        RETURN_IF_ERROR(running());
        return n.Signal(SIGTERM);
      case FaultKind::kPause:
        RETURN_IF_ERROR(running());
        return n.Pause();
      case FaultKind::kRestart:
        RETURN_IF_ERROR(n.Stop(5000));
        return n.Start();
      case FaultKind::kFailpoint:
      case FaultKind::kDisk: {
        if (f.kind == FaultKind::kDisk && !system_->capabilities().failpoints) {
          ASSIGN_OR_RETURN(nlohmann::json c, DiskAsFaultFs(f, n.pgid()));
          return faultfs_->Command(c);
        }
        ASSIGN_OR_RETURN(auto failpoint, FaultFailpoint(f));
        return system_->ArmFailpoint(n.id(), failpoint.first, failpoint.second);
      }
      case FaultKind::kPowerLoss: {
        // The machine goes dark: its processes die at once, and what they did not sync is
        // gone from every disk they wrote to.
        RETURN_IF_ERROR(running());
        const int pgid = n.pgid();
        RETURN_IF_ERROR(n.Kill());
        if (!n.WaitForExit(Deadline::AfterMillis(5000)))
          return Status::Timeout(n.id() + " did not die after SIGKILL");
        ASSIGN_OR_RETURN(nlohmann::json lost,
                         faultfs_->LoseUnsynced({pgid}, f.params.value("torn", false)));
        last_detail_ = {{"lost", std::move(lost)}};
        return Status::Ok();
      }
      case FaultKind::kRescale: {
        // The parallelism drawn where params name none replays from the fault's key.
        ASSIGN_OR_RETURN(nlohmann::json rescaled,
                         system_->Rescale(n.id(), f.params, rng_.Fork(f.rng_label())));
        last_detail_ = {{"rescaled", std::move(rescaled)}};
        return Status::Ok();
      }
      case FaultKind::kFsError:
      case FaultKind::kFsSlow: {
        ASSIGN_OR_RETURN(nlohmann::json c, FilesystemCommand(f, {n.pgid()}));
        return faultfs_->Command(c);
      }
      case FaultKind::kPartition:
      case FaultKind::kDelay:
      case FaultKind::kReset:
      case FaultKind::kBandwidth:
      case FaultKind::kBarrierHold:
      case FaultKind::kCorrupt:
        break;  // link faults: Begin()
    }
    return Status::Internal("fault '" + f.fault + "' has no process action");
  }

  Status EndOn(const PlannedFault& f, systems::NodeProcess& n) {
    const bool restart = f.params.value("restart", true);
    switch (f.kind) {
      case FaultKind::kPause:
        return n.Resume();
      case FaultKind::kKill:
      case FaultKind::kTerminate:
      case FaultKind::kPowerLoss:
        if (!restart) return Status::Ok();
        if (n.Running()) RETURN_IF_ERROR(n.Stop(5000));  // a terminate it ignored
        return n.Start();
      case FaultKind::kFailpoint:
      case FaultKind::kDisk: {
        if (f.kind == FaultKind::kDisk && !system_->capabilities().failpoints) {
          RETURN_IF_ERROR(faultfs_->Command({{"op", "clear-errors"}}));
          return n.Running() || !restart ? Status::Ok() : n.Start();
        }
        // The armed failpoint may have crashed the node: disarm if it lives, restart if not.
        if (n.Running()) {
          ASSIGN_OR_RETURN(auto failpoint, FaultFailpoint(f));
          return system_->ArmFailpoint(n.id(), failpoint.first, "off");
        }
        return restart ? n.Start() : Status::Ok();
      }
      case FaultKind::kFsError:
        return faultfs_->Command({{"op", "clear-errors"}});
      case FaultKind::kFsSlow:
        return faultfs_->Command({{"op", "slow"}, {"fsync_ms", 0}});
      case FaultKind::kRestart:
      case FaultKind::kRescale:  // one-shot: the job goes on at its new parallelism
      case FaultKind::kPartition:
      case FaultKind::kDelay:
      case FaultKind::kReset:
      case FaultKind::kBandwidth:
      case FaultKind::kBarrierHold:
      case FaultKind::kCorrupt:
        return Status::Ok();
    }
    return Status::Ok();
  }

  // `detail`: members for the begin line, what the fault did (a power loss's `lost`, faultfs's
  // report; a rescale's `rescaled`).
  void Record(const PlannedFault& f, const std::string& target, const char* phase,
              const Status& error, const nlohmann::json& detail = nlohmann::json()) {
    nlohmann::json j = {{"type", "fault"}, {"fault", f.fault}, {"target", target},
                        {"phase", phase},  {"fault_id", f.id}, {"key", f.key}};
    if (!f.params.empty()) j["params"] = f.params;
    if (detail.is_object()) j.update(detail);
    if (!error.ok()) {
      j["error"] = error.ToString();
      FL_LOG(Warning) << f.fault << " " << target << " did not take effect: " << error.ToString();
    }
    history_->Write(std::move(j));
  }

  systems::System* system_;
  systems::Network* network_;
  systems::FaultFsMounts* faultfs_;
  HistoryWriter* history_;
  nlohmann::json last_detail_;  // what the last BeginOn did, for its begin line
  Rng rng_;
  std::map<int, int> link_handles_;  // planned fault id -> network handle
};

}  // namespace

std::unique_ptr<FaultActions> MakeFaultActions(systems::System* system, systems::Network* network,
                                               systems::FaultFsMounts* faultfs,
                                               HistoryWriter* history, Rng rng) {
  return std::make_unique<SystemFaultActions>(system, network, faultfs, history, rng);
}

void NemesisRunner::Tick() {
  double now_s = static_cast<double>(MonotonicNanos() - start_ns_) / 1e9;
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->end_s <= now_s) {
      actions_->End(*it);
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  while (next_ < plan_.size() && plan_[next_].begin_s <= now_s) {
    PlannedFault f = plan_[next_++];
    f.targets = actions_->Begin(f);
    if (!f.targets.empty()) active_.push_back(std::move(f));
  }
}

void NemesisRunner::HealAll() {
  for (const PlannedFault& f : active_) actions_->End(f);
  active_.clear();
  next_ = plan_.size();
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
