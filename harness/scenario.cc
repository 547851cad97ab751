#include "harness/scenario.h"

#include <set>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/json.h"
#include "base/mode.h"
#include "checkers/registry.h"
#include "faults/fault_kind.h"
#include "harness/system_registry.h"

namespace faultline::harness {
namespace {

using Need = JsonObject::Need;
constexpr auto kRequired = Need::kRequired;

Status ParseFault(const nlohmann::json& j, const std::string& path, const std::string& source,
                  FaultSpec* f) {
  JsonObject o(j, path, source);
  RETURN_IF_ERROR(o.Enum("fault", &f->fault, faults::FaultKindNames(), kRequired));
  RETURN_IF_ERROR(o.String("target", &f->target, kRequired));
  double v = 0;
  int timings = 0;
  for (auto [key, slot] : {std::pair{"at_s", &f->at_s}, std::pair{"every_s", &f->every_s},
                           std::pair{"mean_interval_s", &f->mean_interval_s}}) {
    if (!o.Has(key)) {
      o.Allow(key);
      continue;
    }
    RETURN_IF_ERROR(o.Double(key, &v));
    if (v < 0 || (v == 0 && std::string(key) != "at_s")) {
      return o.Error(key, "expected a positive number of seconds");
    }
    *slot = v;
    ++timings;
  }
  if (timings != 1) {
    return Status::InvalidArgument(source + ": " + path +
                                   ": expected exactly one of at_s, every_s, mean_interval_s");
  }
  RETURN_IF_ERROR(o.Double("start_s", &f->start_s));
  if (auto kind = faults::ParseFaultKind(f->fault); kind && faults::InfoOf(*kind).one_shot) {
    f->duration_s = 0;
  }
  RETURN_IF_ERROR(o.Double("duration_s", &f->duration_s));
  if (f->duration_s < 0) return o.Error("duration_s", "expected a number >= 0");
  if (const nlohmann::json* p = o.Raw("params")) {
    if (!p->is_object()) return o.Error("params", "expected an object");
    f->params = *p;
  }
  if (f->fault == "disk")
    RETURN_IF_ERROR(DiskFailpoint(f->params, path + ".params", source).status());
  return o.Finish();
}

}  // namespace

Result<std::pair<std::string, std::string>> DiskFailpoint(const nlohmann::json& params,
                                                          const std::string& path,
                                                          const std::string& source) {
  const nlohmann::json empty = nlohmann::json::object();
  JsonObject o(params.is_null() ? empty : params, path, source);
  std::string op = "write", error = "EIO";
  int64_t count = 1, probability = 100;
  bool restart = true;
  RETURN_IF_ERROR(o.Enum("op", &op, {"write", "fsync"}));
  RETURN_IF_ERROR(o.String("error", &error));
  RETURN_IF_ERROR(o.Int("count", &count, {.min = 0, .max = 1000000}));
  RETURN_IF_ERROR(o.Int("probability", &probability, {.min = 1, .max = 100}));
  RETURN_IF_ERROR(o.Bool("restart", &restart));
  RETURN_IF_ERROR(o.Finish());
  if (error == "torn" && op != "write") return o.Error("error", "\"torn\" needs \"op\": \"write\"");
  if (error == "lie" && op != "fsync") return o.Error("error", "\"lie\" needs \"op\": \"fsync\"");
  std::string spec = error == "torn" || error == "lie" ? error : "error(" + error + ")";
  if (count > 0) spec = std::to_string(count) + "*" + spec;
  if (probability < 100) spec = std::to_string(probability) + "%" + spec;
  Status valid = failpoint::ValidateSpec(spec);
  if (!valid.ok()) return o.Error("error", valid.message());
  return std::make_pair("storage." + op, spec);
}

std::string Scenario::job_operator() const { return job.value("operator", "count"); }

Result<Scenario> ParseScenario(std::string_view text, const std::string& source) {
  ASSIGN_OR_RETURN(nlohmann::json root, ParseJson(text, source));
  Scenario s;
  JsonObject o(root, "$", source);
  RETURN_IF_ERROR(o.String("name", &s.name, kRequired));
  if (s.name.empty() || s.name.find_first_of("/\\ ") != std::string::npos) {
    return o.Error("name", "expected a non-empty name without spaces or slashes");
  }
  if (o.Has("seed")) {
    int64_t seed = 0;
    RETURN_IF_ERROR(o.Int("seed", &seed, {.min = 0}));
    s.seed = static_cast<uint64_t>(seed);
  } else {
    o.Allow("seed");
  }
  if (const nlohmann::json* system = o.Raw("system")) {
    JsonObject so(*system, o.PathOf("system"), source);
    if (!system->is_object()) return o.Error("system", "expected an object with a \"kind\"");
    RETURN_IF_ERROR(so.Enum("kind", &s.system, SystemKindNames(), kRequired));
    s.system_params = *system;
    s.system_params.erase("kind");
  }
  RETURN_IF_ERROR(o.Double("duration_s", &s.duration_s));
  if (s.duration_s <= 0 || s.duration_s > 24 * 3600) {
    return o.Error("duration_s", "expected a number of seconds in (0, 86400]");
  }
  const nlohmann::json* mode = o.Raw("mode");
  if (mode == nullptr) return o.Error("mode", "missing (required)");
  std::vector<const nlohmann::json*> mode_items;
  if (mode->is_array()) {
    for (const auto& m : *mode) mode_items.push_back(&m);
  } else {
    mode_items.push_back(mode);
  }
  for (size_t i = 0; i < mode_items.size(); ++i) {
    const nlohmann::json& m = *mode_items[i];
    std::string where = mode->is_array() ? "mode[" + std::to_string(i) + "]" : "mode";
    if (!m.is_string() || !ParseMode(m.get<std::string>())) {
      return o.Error(
          where,
          "expected \"at-most-once\", \"at-least-once\" or \"exactly-once\", got " + m.dump());
    }
    if (std::find(s.modes.begin(), s.modes.end(), m.get<std::string>()) != s.modes.end()) {
      return o.Error(where, "mode listed twice");
    }
    s.modes.push_back(m.get<std::string>());
  }
  if (s.modes.empty()) return o.Error("mode", "expected at least one mode");

  ASSIGN_OR_RETURN(auto cluster, o.Object("cluster"));
  if (cluster) {
    RETURN_IF_ERROR(cluster->Int("workers", &s.workers, {.min = 1, .max = 16}));
    RETURN_IF_ERROR(cluster->Int("slots", &s.slots, {.min = 1, .max = 256}));
    RETURN_IF_ERROR(cluster->Enum("network", &s.network, {"direct", "proxy", "netns"}));
    RETURN_IF_ERROR(cluster->Bool("faultfs", &s.faultfs));
    RETURN_IF_ERROR(cluster->Finish());
  }
  if (const nlohmann::json* job = o.Raw("job")) {
    if (!job->is_object()) return o.Error("job", "expected an object");
    s.job = *job;  // validated by the runtime's config parser when the run is set up
  }
  ASSIGN_OR_RETURN(auto workload, o.Object("workload"));
  if (workload) {
    WorkloadSpec& w = s.workload;
    RETURN_IF_ERROR(workload->Int("rate", &w.rate, {.min = 1, .max = 10'000'000}));
    RETURN_IF_ERROR(workload->Int("keys", &w.keys, {.min = 1, .max = 10'000'000}));
    RETURN_IF_ERROR(workload->Enum("distribution", &w.distribution, {"uniform", "zipf"}));
    RETURN_IF_ERROR(workload->Double("zipf_exponent", &w.zipf_exponent));
    if (w.zipf_exponent <= 0) return workload->Error("zipf_exponent", "expected a number > 0");
    RETURN_IF_ERROR(workload->Int("event_time_disorder_ms", &w.event_time_disorder_ms, {.min = 0}));
    RETURN_IF_ERROR(workload->Finish());
  }
  ASSIGN_OR_RETURN(auto nemesis, o.Array("nemesis"));
  if (nemesis) {
    for (size_t i = 0; i < nemesis->size(); ++i) {
      FaultSpec f;
      RETURN_IF_ERROR(ParseFault(*(*nemesis)[i],
                                 o.PathOf("nemesis") + "[" + std::to_string(i) + "]", source, &f));
      s.nemesis.push_back(std::move(f));
    }
  }
  RETURN_IF_ERROR(o.Int("max_active_faults", &s.max_active_faults, {.min = 1}));
  if (const nlohmann::json* plan = o.Raw("plan")) {
    if (nemesis) {
      return o.Error("plan",
                     "a scenario has either a nemesis (faults drawn from the seed) or a fixed "
                     "plan, not both");
    }
    ASSIGN_OR_RETURN(s.plan,
                     ParsePlan(*plan, o.PathOf("plan"), source, s.duration_s, s.max_active_faults));
  }
  ASSIGN_OR_RETURN(auto checks, o.Array("checks"));
  if (checks) {
    for (size_t i = 0; i < checks->size(); ++i) {
      const nlohmann::json& c = *(*checks)[i];
      if (!c.is_string() ||
          std::find(checkers::CheckerNames().begin(), checkers::CheckerNames().end(),
                    c.get<std::string>()) == checkers::CheckerNames().end()) {
        return o.Error("checks[" + std::to_string(i) + "]",
                       "expected one of delivery, state, order, windows, visibility, availability");
      }
      s.checks.push_back(c.get<std::string>());
    }
  } else {
    s.checks = checkers::CheckerNames();
  }
  ASSIGN_OR_RETURN(auto quiesce, o.Object("quiesce"));
  if (quiesce) {
    RETURN_IF_ERROR(quiesce->Double("timeout_s", &s.quiesce_timeout_s));
    if (s.quiesce_timeout_s <= 0) return quiesce->Error("timeout_s", "expected a number > 0");
    RETURN_IF_ERROR(quiesce->Int("checkpoints", &s.quiesce_checkpoints, {.min = 1, .max = 100}));
    RETURN_IF_ERROR(quiesce->Finish());
  }
  RETURN_IF_ERROR(o.Bool("observe_uncommitted", &s.observe_uncommitted));
  if (const nlohmann::json* expect = o.Raw("expect")) {
    if (!expect->is_object()) return o.Error("expect", "expected an object of mode -> verdict");
    for (const auto& [mode_name, verdict] : expect->items()) {
      if (!ParseMode(mode_name)) {
        return o.Error("expect." + mode_name, "unknown mode");
      }
      if (!verdict.is_string() ||
          (verdict != "valid" && verdict != "invalid" && verdict != "any")) {
        return o.Error("expect." + mode_name, "expected \"valid\", \"invalid\" or \"any\"");
      }
    }
    s.expect = *expect;
  }
  RETURN_IF_ERROR(o.Finish());
  RETURN_IF_ERROR(FindSystemKind(s.system)->prepare(&s, source));
  return s;
}

Result<Scenario> LoadScenario(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("reading scenario " + path);
  return ParseScenario(*text, path);
}

nlohmann::json Scenario::ToJson() const {
  nlohmann::ordered_json faults = nlohmann::ordered_json::array();
  for (const FaultSpec& f : nemesis) {
    nlohmann::ordered_json j = {{"fault", f.fault}, {"target", f.target}};
    if (f.at_s) j["at_s"] = *f.at_s;
    if (f.every_s) j["every_s"] = *f.every_s;
    if (f.mean_interval_s) j["mean_interval_s"] = *f.mean_interval_s;
    j["start_s"] = f.start_s;
    j["duration_s"] = f.duration_s;
    if (!f.params.empty()) j["params"] = f.params;
    faults.push_back(j);
  }
  nlohmann::ordered_json system_json = {{"kind", system}};
  for (const auto& [k, v] : system_params.items()) system_json[k] = v;
  nlohmann::ordered_json j = {
      {"name", name},
      {"system", system_json},
      {"seed", seed ? nlohmann::ordered_json(*seed) : nlohmann::ordered_json()},
      {"duration_s", duration_s},
      {"mode",
       modes.size() == 1 ? nlohmann::ordered_json(modes[0]) : nlohmann::ordered_json(modes)},
      {"cluster",
       {{"workers", workers}, {"slots", slots}, {"network", network}, {"faultfs", faultfs}}},
      {"job", job},
      {"workload",
       {{"rate", workload.rate},
        {"keys", workload.keys},
        {"distribution", workload.distribution},
        {"zipf_exponent", workload.zipf_exponent},
        {"event_time_disorder_ms", workload.event_time_disorder_ms}}},
      {"nemesis", faults},
      {"plan", plan ? nlohmann::ordered_json(PlanToJson(*plan)) : nlohmann::ordered_json()},
      {"max_active_faults", max_active_faults},
      {"checks", checks},
      {"quiesce", {{"timeout_s", quiesce_timeout_s}, {"checkpoints", quiesce_checkpoints}}},
      {"observe_uncommitted", observe_uncommitted},
      {"expect", expect},
  };
  if (!seed) j.erase("seed");
  j.erase(plan ? "nemesis" : "plan");
  return j;
}

}  // namespace faultline::harness
