#include "reports/plan_report.h"

#include "reports/html.h"

namespace faultline::reports {
namespace {

std::string Cell(const nlohmann::json& v) {
  if (v.is_string()) return HtmlEscape(v.get<std::string>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return FormatNumber(v.get<double>(), 2);
  if (v.is_null()) return "–";
  return HtmlEscape(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string Targets(const nlohmann::json& f) {
  std::string out;
  for (const auto& t : f.value("targets", nlohmann::json::array()))
    out += (out.empty() ? "" : ", ") + (t.is_string() ? t.get<std::string>() : t.dump());
  return HtmlEscape(out);
}

// A plan (PlanToJson's form) as a table.
std::string PlanTable(const nlohmann::json& faults, const char* css_class) {
  std::string out = std::string("<table class=\"") + css_class +
                    "\"><tr><th>key</th><th>fault</th><th>targets</th><th>begin s</th>"
                    "<th>end s</th><th>params</th></tr>\n";
  for (const auto& f : faults) {
    const nlohmann::json params = f.value("params", nlohmann::json::object());
    out += "<tr><td>" + Cell(f.value("key", nlohmann::json())) + "</td><td>" +
           Cell(f.value("fault", nlohmann::json())) + "</td><td>" + Targets(f) +
           "</td><td class=\"num\">" + Cell(f.value("begin_s", nlohmann::json())) +
           "</td><td class=\"num\">" + Cell(f.value("end_s", nlohmann::json())) + "</td><td>" +
           (params.empty() ? std::string("–") : Cell(params)) + "</td></tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string FaultPlanSection(const nlohmann::json& plan) {
  if (!plan.is_object()) return "";
  const nlohmann::json faults = plan.value("faults", nlohmann::json::array());
  const nlohmann::json dropped = plan.value("dropped", nlohmann::json::array());
  std::string out = "<h2>Fault plan</h2>\n<p>" + std::to_string(faults.size()) +
                    (faults.size() == 1 ? " fault, " : " faults, ") +
                    (plan.value("source", "") == "plan"
                         ? "the scenario's fixed plan"
                         : "drawn from the seed and the scenario's nemesis before the run") +
                    "; a scenario with this <code>plan</code> replays exactly these (<a "
                    "href=\"plan.json\">plan.json</a>).</p>\n";
  if (!faults.empty()) out += PlanTable(faults, "fault-plan");
  if (dropped.is_array() && !dropped.empty()) {
    out += "<details><summary>" + std::to_string(dropped.size()) +
           " drawn but dropped: more than max_active_faults at once, or a second fault on a "
           "node at once</summary>" +
           PlanTable(dropped, "fault-plan-dropped") + "</details>\n";
  }
  return out;
}

std::string ShrinkSection(const nlohmann::json& shrink) {
  if (!shrink.is_object()) return "";
  const nlohmann::json summary = shrink.value("summary", nlohmann::json::object());
  const nlohmann::json original = summary.value("original", nlohmann::json::object());
  const nlohmann::json best = summary.value("best", nlohmann::json::object());
  const nlohmann::json target =
      shrink.value("shrinks", nlohmann::json::object()).value("target", nlohmann::json::array());
  std::string kinds;
  for (const auto& k : target) kinds += (kinds.empty() ? "" : ", ") + Cell(k);
  // Only the built-in runtime's worker count shrinks (shrink/shrinker.h).
  const nlohmann::json was = original.value("workers", nlohmann::json());
  const nlohmann::json now = best.value("workers", nlohmann::json());
  const std::string workers =
      was != now ? " and " + Cell(now) + " workers instead of " + Cell(was) : "";
  std::string out = "<h2>Shrink</h2>\n<p class=\"shrink-summary\">From " +
                    Cell(original.value("faults", nlohmann::json())) + " faults in " +
                    Cell(original.value("duration_s", nlohmann::json())) + " s to <b>" +
                    Cell(best.value("faults", nlohmann::json())) + "</b> in " +
                    Cell(best.value("duration_s", nlohmann::json())) + " s" + workers +
                    ", still failing with " + kinds + "; " +
                    Cell(summary.value("tries_used", nlohmann::json())) + " runs of a budget of " +
                    Cell(summary.value("budget", nlohmann::json())) + ", " +
                    Cell(summary.value("tries_per_candidate", nlohmann::json())) +
                    " per candidate, " + Cell(summary.value("wall_s", nlohmann::json())) +
                    " s; state " + Cell(summary.value("state", nlohmann::json())) + ".</p>\n";
  if (summary.contains("minimal_scenario")) {
    out += "<p>The minimal scenario:</p><pre>faultline run " + Cell(summary["minimal_scenario"]) +
           "</pre>\n";
  }
  const nlohmann::json plan = best.value("plan", nlohmann::json::array());
  if (!plan.empty()) out += PlanTable(plan, "shrink-plan");
  std::string rows;
  const nlohmann::json candidates = shrink.value("candidates", nlohmann::json::array());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const nlohmann::json& c = candidates[i];
    std::string tries;
    for (const auto& t : c.value("tries", nlohmann::json::array())) {
      tries += (tries.empty() ? "" : " ") +
               std::string(t.value("reproduced", false) ? "fails" : Cell(t.value("verdict", "?")));
    }
    const nlohmann::json scenario = c.value("scenario", nlohmann::json::object());
    rows += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td><td>" +
            Cell(c.value("step", nlohmann::json())) + "</td><td class=\"num\">" +
            Cell(c.value("faults", nlohmann::json())) + "</td><td class=\"num\">" +
            Cell(scenario.value("duration_s", nlohmann::json())) + "</td><td>" + tries +
            "</td><td>" + Cell(c.value("outcome", nlohmann::json())) + "</td></tr>\n";
  }
  out += "<details><summary>" + std::to_string(candidates.size()) +
         " candidates (<a href=\"shrink/shrink.json\">shrink.json</a>)</summary><table "
         "class=\"shrink-candidates\"><tr><th>#</th><th>step</th><th>faults</th><th>run s</th>"
         "<th>tries</th><th>outcome</th></tr>\n" +
         rows + "</table></details>\n";
  return out;
}

}  // namespace faultline::reports
