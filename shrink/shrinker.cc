#include "shrink/shrinker.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace faultline::shrink {
namespace {

using harness::PlannedFault;
using harness::Scenario;

constexpr double kMinFaultS = 0.1;  // faults are not shortened below this
constexpr double kMinMoveS = 0.1;   // nor moved by less
constexpr double kTailS = 1.0;      // load after the last fault ends, in a shortened run
constexpr int kConfirmRuns = 2;     // runs of the original that choose K
constexpr int kMaxTries = 5;

// `faults` cut into `n` contiguous parts whose sizes differ by at most one.
std::vector<std::vector<PlannedFault>> Split(const std::vector<PlannedFault>& faults, size_t n) {
  std::vector<std::vector<PlannedFault>> parts;
  size_t begin = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t end = begin + (faults.size() - begin) / (n - i);
    parts.emplace_back(faults.begin() + static_cast<std::ptrdiff_t>(begin),
                       faults.begin() + static_cast<std::ptrdiff_t>(end));
    begin = end;
  }
  return parts;
}

std::set<std::string> KeysOf(const std::vector<PlannedFault>& plan) {
  std::set<std::string> keys;
  for (const PlannedFault& f : plan) keys.insert(f.key);
  return keys;
}

std::vector<PlannedFault> Without(const std::vector<std::vector<PlannedFault>>& parts,
                                  size_t skip) {
  std::vector<PlannedFault> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i != skip) out.insert(out.end(), parts[i].begin(), parts[i].end());
  }
  return out;
}

}  // namespace

int ChooseTries(int failed, int runs) {
  if (runs <= 0 || failed >= runs) return 1;
  if (failed <= 0) return kMaxTries;
  const double p = static_cast<double>(failed) / runs;
  const int k = static_cast<int>(std::ceil(std::log(0.05) / std::log(1 - p)));
  return std::clamp(k, 1, kMaxTries);
}

Shrinker::Shrinker(Scenario original, ShrinkerOptions options, Oracle* oracle, ShrinkLog* log)
    : options_(std::move(options)), oracle_(oracle), log_(log), best_(std::move(original)) {
  if (!best_.plan) best_.plan.emplace();
}

Result<Scenario> Shrinker::Run() {
  if (options_.tries > 0) {
    tries_ = options_.tries;
  } else {
    // The stored run failed once; two more runs of its plan say how flaky the failure is.
    const nlohmann::json original = best_.ToJson();
    while (static_cast<int>(log_->Find(original, "confirm").tries.size()) < kConfirmRuns &&
           log_->tries_used() < options_.budget) {
      TryOnce(best_, original);
    }
    const CandidateRecord& confirm = log_->Find(original, "confirm");
    int failed = 1;
    for (const TryResult& t : confirm.tries) failed += t.reproduced ? 1 : 0;
    tries_ = ChooseTries(failed, 1 + static_cast<int>(confirm.tries.size()));
  }
  if (!Fails(best_, "confirm")) {
    return Status::NotFound(exhausted_ ? "the budget ran out before the original plan was tried"
                                       : "the original plan did not fail again in " +
                                             std::to_string(tries_) + " tries");
  }
  DeltaDebug();
  ShortenFaults();
  MoveFaultsLater();
  ShortenRun();
  RemoveNodes();
  return best_;
}

bool Shrinker::Fails(const Scenario& candidate, const std::string& step) {
  if (!Admissible(candidate)) return false;
  const nlohmann::json key = candidate.ToJson();
  if (log_->Find(key, step).fails()) return true;
  while (static_cast<int>(log_->Find(key, step).tries.size()) < tries_) {
    if (log_->tries_used() >= options_.budget) {
      exhausted_ = true;
      return false;
    }
    if (TryOnce(candidate, key)) return true;
  }
  return false;
}

bool Shrinker::TryOnce(const Scenario& candidate, const nlohmann::json& key) {
  TryResult r = oracle_->Try(candidate, log_->tries_used() + 1);
  const bool reproduced = r.reproduced;
  log_->AddTry(key, std::move(r));
  if (options_.on_progress) options_.on_progress(*log_, best_);
  return reproduced;
}

void Shrinker::Accept(Scenario candidate) {
  best_ = std::move(candidate);
  if (options_.on_progress) options_.on_progress(*log_, best_);
}

Scenario Shrinker::WithPlan(std::vector<PlannedFault> plan) const {
  std::stable_sort(plan.begin(), plan.end(),
                   [](const auto& a, const auto& b) { return a.begin_s < b.begin_s; });
  for (size_t i = 0; i < plan.size(); ++i) plan[i].id = static_cast<int>(i);
  Scenario s = best_;
  s.plan = std::move(plan);
  return s;
}

bool Shrinker::Admissible(const Scenario& candidate) const {
  return harness::ParsePlan(harness::PlanToJson(*candidate.plan), "$.plan", "candidate",
                            candidate.duration_s, candidate.max_active_faults)
      .ok();
}

void Shrinker::DeltaDebug() {
  std::vector<PlannedFault> faults = *best_.plan;
  // Plans that passed. Failing is taken to be monotone, as ddmin takes it: a plan within one
  // that passed passes too, so it is not run (finer parts of parts that passed, above all).
  std::vector<std::set<std::string>> passed;
  auto fails = [&](const std::vector<PlannedFault>& plan) {
    const std::set<std::string> keys = KeysOf(plan);
    for (const auto& p : passed) {
      if (std::includes(p.begin(), p.end(), keys.begin(), keys.end())) return false;
    }
    if (Fails(WithPlan(plan), plan.empty() ? "no-faults" : "ddmin")) return true;
    if (!exhausted_) passed.push_back(keys);
    return false;
  };
  size_t n = 2;
  while (faults.size() >= 2 && !exhausted_) {
    n = std::min(n, faults.size());
    auto parts = Split(faults, n);
    bool reduced = false;
    for (size_t i = 0; i < parts.size() && !reduced; ++i) {
      if (fails(parts[i])) {
        faults = parts[i];
        n = 2;
        reduced = true;
      }
    }
    // With two parts each complement is the other part, tried above.
    for (size_t i = 0; n > 2 && i < parts.size() && !reduced; ++i) {
      std::vector<PlannedFault> rest = Without(parts, i);
      if (fails(rest)) {
        faults = std::move(rest);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
      }
    }
    if (reduced) {
      Accept(WithPlan(faults));
      continue;
    }
    if (n >= faults.size()) break;
    n = std::min(n * 2, faults.size());
  }
  if (faults.size() == 1 && fails({})) Accept(WithPlan({}));
}

void Shrinker::ShortenFaults() {
  for (size_t i = 0; i < best_.plan->size() && !exhausted_; ++i) {
    for (int halving = 0; halving < 3; ++halving) {
      std::vector<PlannedFault> plan = *best_.plan;
      const double length = plan[i].end_s - plan[i].begin_s;
      if (length < 2 * kMinFaultS) break;
      plan[i].end_s = plan[i].begin_s + length / 2;
      Scenario candidate = WithPlan(std::move(plan));
      if (!Fails(candidate, "durations")) break;
      Accept(std::move(candidate));
    }
  }
}

void Shrinker::MoveFaultsLater() {
  // Each fault but the last toward the next one: faults that need not overlap stop
  // overlapping, and the schedule ends where it did, so the run can be cut after it.
  for (size_t i = 0; i + 1 < best_.plan->size() && !exhausted_; ++i) {
    for (int halving = 0; halving < 2; ++halving) {
      std::vector<PlannedFault> plan = *best_.plan;
      const double step = (plan[i + 1].begin_s - plan[i].begin_s) / 2;
      if (step < kMinMoveS) break;
      plan[i].begin_s += step;
      plan[i].end_s += step;
      Scenario candidate = WithPlan(std::move(plan));
      if (!Fails(candidate, "later")) break;
      Accept(std::move(candidate));
    }
  }
}

void Shrinker::ShortenRun() {
  double floor = kTailS;
  for (const PlannedFault& f : *best_.plan)
    floor = std::max(floor, std::max(f.end_s, f.begin_s + kMinFaultS) + kTailS);
  for (int attempt = 0; attempt < 3 && !exhausted_; ++attempt) {
    if (best_.duration_s - floor < 0.5) return;
    Scenario candidate = best_;
    candidate.duration_s = attempt == 0 ? floor : (floor + best_.duration_s) / 2;
    if (Fails(candidate, "shorter-run")) {
      Accept(std::move(candidate));
      if (attempt == 0) return;
    }
  }
}

void Shrinker::RemoveNodes() {
  while (options_.fewer_nodes && !exhausted_) {
    Scenario candidate = best_;
    if (!options_.fewer_nodes(&candidate) || !Fails(candidate, "fewer-nodes")) return;
    Accept(std::move(candidate));
  }
}

}  // namespace faultline::shrink
