#include "checkers/results_json.h"

#include "base/file.h"
#include "checkers/context.h"

namespace faultline::checkers {

nlohmann::json ResultsToJson(const CheckResult& result, const std::string& history_path) {
  nlohmann::json j;
  if (result.verdict == Verdict::kUnknown) {
    j["valid"] = "unknown";
  } else {
    j["valid"] = result.verdict == Verdict::kValid;
  }
  j["mode"] = result.mode ? nlohmann::json(std::string(ModeName(*result.mode))) : nlohmann::json();
  j["job"] = std::string(JobKindName(result.job));
  j["scenario"] = result.scenario;
  j["system"] = result.system.empty() ? nlohmann::json() : nlohmann::json(result.system);
  j["seed"] = result.seed ? nlohmann::json(*result.seed) : nlohmann::json();
  j["history"] = history_path;
  j["unknown_reasons"] = result.unknown_reasons;
  const HistoryStats& s = result.stats;
  j["stats"] = {{"lines", s.lines},
                {"inputs", s.inputs},
                {"inputs_ok", s.inputs_ok},
                {"inputs_failed", s.inputs_failed},
                {"inputs_unknown", s.inputs_unknown},
                {"outputs", s.outputs},
                {"uncommitted_outputs", s.uncommitted_outputs},
                {"windows", s.windows},
                {"faults", s.faults},
                {"failed_faults", s.failed_faults},
                {"checkpoints_completed", s.checkpoints},
                {"end_t", s.end_t}};
  nlohmann::json failed_faults = nlohmann::json::array();
  for (const FailedFault& f : result.failed_faults) {
    failed_faults.push_back(
        {{"t", f.t}, {"fault", f.fault}, {"target", f.target}, {"error", f.error}});
  }
  j["failed_faults"] = std::move(failed_faults);
  nlohmann::json went_back = nlohmann::json::array();
  for (const RestoreBackEvent& r : result.restores_went_back)
    went_back.push_back(RestoreBackJson(r));
  j["restores_went_back"] = std::move(went_back);
  nlohmann::json checkers = nlohmann::json::object();
  for (const CheckerResult& c : result.checkers) {
    nlohmann::json cj = {{"valid", c.valid},
                         {"applicable", c.applicable},
                         {"selected", c.selected},
                         {"clean", c.clean()}};
    nlohmann::json examples = nlohmann::json::object();
    nlohmann::json kinds = nlohmann::json::array();
    nlohmann::json failing = nlohmann::json::array();
    for (const Anomaly& a : c.anomalies) {
      cj[a.name] = a.count;
      examples[a.name] = a.examples;
      kinds.push_back(a.name);
      if (a.fails) failing.push_back(a.name);
    }
    cj["anomalies"] = std::move(kinds);
    cj["failing"] = std::move(failing);
    for (const auto& [name, value] : c.details.items()) cj[name] = value;
    if (!c.anomalies.empty()) cj["examples"] = std::move(examples);
    checkers[c.name] = std::move(cj);
  }
  j["checkers"] = std::move(checkers);
  return j;
}

Status WriteResultsJson(const std::string& path, const CheckResult& result,
                        const std::string& history_path) {
  std::string text = ResultsToJson(result, history_path)
                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  return WriteFileAtomic(path, text);
}

std::vector<std::string> FailingKinds(const nlohmann::json& results) {
  std::vector<std::string> out;
  if (!results.is_object() || !results.contains("checkers") || !results["checkers"].is_object())
    return out;
  for (const auto& [checker, c] : results["checkers"].items()) {
    if (!c.is_object() || !c.contains("failing") || !c["failing"].is_array()) continue;
    for (const auto& kind : c["failing"]) {
      if (kind.is_string()) out.push_back(checker + "." + kind.get<std::string>());
    }
  }
  return out;
}

}  // namespace faultline::checkers
