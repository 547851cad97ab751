#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace faultline::reports {

// The run report's "Fault plan" section from RUN_DIR/plan.json (docs/results-format.md):
// every fault the run carried out with its key, targets, begin and end, and those the plan
// rule dropped. "" when `plan` is null. Pure.
std::string FaultPlanSection(const nlohmann::json& plan);

// The run report's "Shrink" section from RUN_DIR/shrink/shrink.json (docs/shrinking.md):
// from what to what, in how many tries and how long, the minimal plan, and every candidate
// with its tries. "" when `shrink` is null. Pure.
std::string ShrinkSection(const nlohmann::json& shrink);

}  // namespace faultline::reports
