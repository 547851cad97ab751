#include "shrink/shrink_log.h"

#include "base/file.h"
#include "base/json.h"
#include "base/version.h"

namespace faultline::shrink {
namespace {

nlohmann::json HeaderJson(const ShrinkLog::Header& h) {
  return {{"run_dir", h.run_dir}, {"scenario", h.scenario}, {"mode", h.mode},
          {"seed", h.seed},       {"target", h.target},     {"original_faults", h.original_faults}};
}

nlohmann::json TryJson(const TryResult& t) {
  nlohmann::json j = {{"run_dir", t.run_dir},
                      {"verdict", t.verdict},
                      {"failing", t.failing},
                      {"reproduced", t.reproduced},
                      {"wall_s", t.wall_s}};
  if (!t.error.empty()) j["error"] = t.error;
  return j;
}

Status ParseTry(const nlohmann::json& j, const std::string& path, const std::string& source,
                TryResult* t) {
  JsonObject o(j, path, source);
  RETURN_IF_ERROR(o.String("run_dir", &t->run_dir, JsonObject::Need::kRequired));
  RETURN_IF_ERROR(o.Enum("verdict", &t->verdict, {"valid", "invalid", "unknown", "error"},
                         JsonObject::Need::kRequired));
  RETURN_IF_ERROR(o.Bool("reproduced", &t->reproduced, JsonObject::Need::kRequired));
  RETURN_IF_ERROR(o.Double("wall_s", &t->wall_s));
  RETURN_IF_ERROR(o.String("error", &t->error));
  const nlohmann::json* failing = o.Raw("failing");
  if (failing == nullptr || !failing->is_array())
    return o.Error("failing", "expected a list of anomaly kinds");
  for (const auto& k : *failing) {
    if (!k.is_string()) return o.Error("failing", "expected strings");
    t->failing.push_back(k.get<std::string>());
  }
  return o.Finish();
}

}  // namespace

bool CandidateRecord::fails() const {
  for (const TryResult& t : tries) {
    if (t.reproduced) return true;
  }
  return false;
}

Result<ShrinkLog> ShrinkLog::Load(const std::string& path, const Header& expected) {
  if (!PathExists(path)) return Status::NotFound(path + ": no shrink to resume");
  ASSIGN_OR_RETURN(nlohmann::json j, ReadJsonFile(path));
  if (!j.is_object()) return Status::InvalidArgument(path + ": $: expected an object");
  if (j.value("faultline_version", "") != kVersion) {
    return Status::InvalidArgument(path + ": $.faultline_version: written by faultline " +
                                   j.value("faultline_version", std::string("?")) + ", this is " +
                                   kVersion + "; remove it to start over");
  }
  if (j.value("shrinks", nlohmann::json()) != HeaderJson(expected)) {
    return Status::InvalidArgument(path + ": $.shrinks: a shrink of another run or failure (" +
                                   j.value("shrinks", nlohmann::json()).dump() +
                                   "); remove it to start over");
  }
  ShrinkLog log(expected);
  const nlohmann::json candidates = j.value("candidates", nlohmann::json());
  if (!candidates.is_array())
    return Status::InvalidArgument(path + ": $.candidates: expected an array");
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string where = "$.candidates[" + std::to_string(i) + "]";
    JsonObject o(candidates[i], where, path);
    std::string step;
    RETURN_IF_ERROR(o.String("step", &step, JsonObject::Need::kRequired));
    const nlohmann::json* scenario = o.Raw("scenario");
    if (scenario == nullptr || !scenario->is_object())
      return o.Error("scenario", "expected the candidate scenario");
    const nlohmann::json* tries = o.Raw("tries");
    if (tries == nullptr || !tries->is_array()) return o.Error("tries", "expected an array");
    o.Allow("faults");
    o.Allow("outcome");
    RETURN_IF_ERROR(o.Finish());
    CandidateRecord& c = log.Find(*scenario, step);
    for (size_t t = 0; t < tries->size(); ++t) {
      TryResult r;
      RETURN_IF_ERROR(ParseTry((*tries)[t], where + ".tries[" + std::to_string(t) + "]", path, &r));
      c.tries.push_back(std::move(r));
    }
  }
  log.summary = j.value("summary", nlohmann::json::object());
  return log;
}

Status ShrinkLog::Save(const std::string& path) const {
  nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
  for (const CandidateRecord& c : candidates_) {
    nlohmann::ordered_json tries = nlohmann::ordered_json::array();
    for (const TryResult& t : c.tries) tries.push_back(nlohmann::ordered_json(TryJson(t)));
    const nlohmann::json plan = c.scenario.value("plan", nlohmann::json::array());
    candidates.push_back(nlohmann::ordered_json{{"step", c.step},
                                                {"faults", plan.size()},
                                                {"outcome", c.fails() ? "fails" : "passes"},
                                                {"tries", std::move(tries)},
                                                {"scenario", nlohmann::ordered_json(c.scenario)}});
  }
  nlohmann::ordered_json j = {{"faultline_version", kVersion},
                              {"shrinks", nlohmann::ordered_json(HeaderJson(header_))},
                              {"summary", nlohmann::ordered_json(summary)},
                              {"candidates", std::move(candidates)}};
  return WriteFileAtomic(path,
                         j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

CandidateRecord& ShrinkLog::Find(const nlohmann::json& scenario, const std::string& step) {
  const std::string key = scenario.dump();
  auto it = index_.find(key);
  if (it != index_.end()) return candidates_[it->second];
  index_[key] = candidates_.size();
  candidates_.push_back({step, scenario, {}});
  return candidates_.back();
}

void ShrinkLog::AddTry(const nlohmann::json& scenario, TryResult t) {
  Find(scenario, "?").tries.push_back(std::move(t));
}

int ShrinkLog::tries_used() const {
  int n = 0;
  for (const CandidateRecord& c : candidates_) n += static_cast<int>(c.tries.size());
  return n;
}

}  // namespace faultline::shrink
