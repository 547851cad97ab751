#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace faultline::shrink {

// What one try of a candidate showed.
struct TryResult {
  std::string run_dir;               // "" when the run did not get that far
  std::string verdict;               // valid, invalid, unknown, or error (a harness error)
  std::vector<std::string> failing;  // "checker.kind" of every anomaly kind that fails
  bool reproduced = false;           // invalid with one of the shrink's target kinds
  double wall_s = 0;
  std::string error;  // the harness error, for verdict "error"
};

// One candidate schedule and every try of it so far.
struct CandidateRecord {
  std::string step;         // confirm, ddmin, no-faults, durations, later, shorter-run, fewer-nodes
  nlohmann::json scenario;  // the candidate as a scenario (with a fixed plan)
  std::vector<TryResult> tries;
  bool fails() const;  // one of its tries reproduced the failure
};

// The record of a shrink, RUN_DIR/shrink/shrink.json (docs/shrinking.md): which run it
// shrinks, the failure it keeps (`target`), every candidate with its tries, and the best
// schedule found. Written after every try, so that an interrupted shrink resumes: a candidate
// already tried is looked up here (by its scenario) instead of run again. A value type.
class ShrinkLog {
 public:
  // The run being shrunk and what it failed with. A resumed log must name the same.
  struct Header {
    std::string run_dir;
    std::string scenario;
    std::string mode;
    uint64_t seed = 0;
    std::vector<std::string> target;  // anomaly kinds ("delivery.lost"); a try reproduces
                                      // when one of them fails
    int original_faults = 0;
  };

  explicit ShrinkLog(Header header) : header_(std::move(header)) {}

  // Reads `path`; NotFound when absent; an error naming the file and JSON path when it is
  // malformed or shrinks another run than `expected` names.
  static Result<ShrinkLog> Load(const std::string& path, const Header& expected);
  Status Save(const std::string& path) const;

  const Header& header() const { return header_; }
  // The record of the candidate `scenario`, created (with `step`) when new.
  CandidateRecord& Find(const nlohmann::json& scenario, const std::string& step);
  void AddTry(const nlohmann::json& scenario, TryResult t);
  int tries_used() const;
  const std::vector<CandidateRecord>& candidates() const { return candidates_; }

  // What the shrink settled on so far; saved with the candidates.
  nlohmann::json summary = nlohmann::json::object();  // budget, tries, state, minimal, wall_s

 private:
  Header header_;
  std::vector<CandidateRecord> candidates_;
  std::map<std::string, size_t> index_;  // scenario dump -> candidates_ position
};

}  // namespace faultline::shrink
