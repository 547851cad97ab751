#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "checkers/result.h"

namespace faultline::checkers {

// results.json, the stable record of a check that reports read (docs/results-format.md):
//   {"valid": true|false|"unknown", "mode", "job", "scenario", "system", "seed", "history",
//    "unknown_reasons": [...], "stats": {...}, "failed_faults": [...],
//    "checkers": {"delivery": {"valid", "applicable", "selected", "clean", "lost", ...,
//                              "anomalies": [kinds in order], "failing": [kinds that fail],
//                              "examples": {"lost": [...], ...}}, ...}}
// `history_path` is recorded as given.
nlohmann::json ResultsToJson(const CheckResult& result, const std::string& history_path);

// Every anomaly kind that fails in a results.json, as "checker.kind" ("delivery.lost"), in the
// order of the checkers' names. Empty for a valid run or a malformed one.
std::vector<std::string> FailingKinds(const nlohmann::json& results);

// Serialises ResultsToJson() (pretty, invalid UTF-8 replaced) and writes it atomically.
Status WriteResultsJson(const std::string& path, const CheckResult& result,
                        const std::string& history_path);

}  // namespace faultline::checkers
