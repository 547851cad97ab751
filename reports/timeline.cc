#include "reports/timeline.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "checkers/fault_intervals.h"

namespace faultline::reports {
namespace {

// The lines the report does not need, as the harness writes them (compact JSON). Other
// spellings are parsed and then ignored, which is slower but still correct.
bool IsBulkLine(std::string_view line) {
  return line.find("\"type\":\"input\"") != std::string_view::npos ||
         line.find("\"type\":\"output\"") != std::string_view::npos ||
         line.find("\"type\":\"window\"") != std::string_view::npos;
}

std::string StringOr(const nlohmann::json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int64_t TimeOf(const nlohmann::json& j) {
  auto it = j.find("t");
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// The `t` of a bulk line without parsing it: the number after "t":, when it comes first.
int64_t QuickTime(std::string_view line) {
  size_t p = line.find("\"t\":");
  if (p == std::string_view::npos) return 0;
  int64_t v = 0;
  for (size_t i = p + 4; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i)
    v = v * 10 + (line[i] - '0');
  return v;
}

class Builder {
 public:
  Status Line(std::string_view line, uint64_t number) {
    ++timeline_.lines;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return Status::Ok();
    if (IsBulkLine(line)) {
      timeline_.end_t = std::max(timeline_.end_t, QuickTime(line));
      return Status::Ok();
    }
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption("line " + std::to_string(number) + ": not a JSON object");
    }
    std::string type = StringOr(j, "type", "");
    int64_t t = TimeOf(j);
    timeline_.end_t = std::max(timeline_.end_t, t);
    if (type == "meta") {
      timeline_.scenario = StringOr(j, "scenario", "");
      timeline_.mode = StringOr(j, "mode", "");
      if (auto it = j.find("seed"); it != j.end() && it->is_number_unsigned())
        timeline_.seed = it->get<uint64_t>();
    } else if (type == "phase") {
      timeline_.phases.push_back({t, StringOr(j, "phase", "")});
      // From the final read on, the harness stops the cluster: the workers and tasks the
      // coordinator then loses are the stop, not a failure.
      if (timeline_.phases.back().phase == "final-read") stopping_ = true;
    } else if (type == "fault") {
      Fault(j, t);
    } else if (type == "runtime") {
      Runtime(j, t);
    }
    return Status::Ok();
  }

  Timeline Finish() {
    for (checkers::FaultInterval& f : checkers::PairFaultEdges(std::move(fault_edges_))) {
      const bool closed = f.end != checkers::kNever;
      timeline_.faults.push_back({f.begin, closed ? f.end : timeline_.end_t, closed,
                                  std::move(f.fault), std::move(f.target), f.fault_id});
    }
    if (open_failover_) {
      timeline_.failovers.back().end = timeline_.end_t;
      timeline_.failovers.back().closed = false;
    }
    std::stable_sort(timeline_.checkpoints.begin(), timeline_.checkpoints.end(),
                     [](const auto& a, const auto& b) { return a.t < b.t; });
    return std::move(timeline_);
  }

 private:
  // Fault lines are paired by checkers::PairFaultEdges in Finish(), as the checkers pair them.
  void Fault(const nlohmann::json& j, int64_t t) {
    std::string phase = StringOr(j, "phase", "");
    checkers::FaultEdge edge;
    edge.t = t;
    edge.fault = StringOr(j, "fault", "?");
    edge.target = StringOr(j, "target", "");
    if (auto it = j.find("fault_id"); it != j.end() && it->is_number_integer())
      edge.fault_id = it->get<int64_t>();
    if (phase == "failed") {
      timeline_.failed_faults.push_back(
          {t, std::move(edge.fault), std::move(edge.target), StringOr(j, "error", "")});
      return;
    }
    if (phase != "begin" && phase != "end") return;
    edge.phase =
        phase == "begin" ? checkers::FaultEdge::Phase::kBegin : checkers::FaultEdge::Phase::kEnd;
    fault_edges_.push_back(std::move(edge));
  }

  void Runtime(const nlohmann::json& j, int64_t t) {
    std::string event = StringOr(j, "event", "");
    if (event == "checkpoint-completed") {
      timeline_.checkpoints.push_back({t, CheckpointOf(j), true, ""});
    } else if (event == "checkpoint-aborted" || event == "checkpoint-declined") {
      timeline_.checkpoints.push_back({t, CheckpointOf(j), false, StringOr(j, "reason", "")});
    } else if (event == "failover-begin" || event == "worker-lost" || event == "coordinator-lost") {
      if (open_failover_ || stopping_) return;
      std::string why = StringOr(j, "reason", event);
      if (event == "worker-lost") why = "worker " + StringOr(j, "worker", "?") + " lost";
      timeline_.failovers.push_back({t, t, true, "failover", why});
      open_failover_ = true;
    } else if (event == "failover-end" || event == "job-running") {
      if (!open_failover_) return;
      timeline_.failovers.back().end = t;
      open_failover_ = false;
    }
  }

  static int64_t CheckpointOf(const nlohmann::json& j) {
    auto it = j.find("checkpoint");
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
  }

  Timeline timeline_;
  std::vector<checkers::FaultEdge> fault_edges_;
  bool open_failover_ = false;
  bool stopping_ = false;
};

}  // namespace

std::optional<std::pair<int64_t, int64_t>> Timeline::PhaseSpan(std::string_view phase) const {
  for (size_t i = 0; i < phases.size(); ++i) {
    if (phases[i].phase != phase) continue;
    int64_t end = i + 1 < phases.size() ? phases[i + 1].t : end_t;
    return std::make_pair(phases[i].t, end);
  }
  return std::nullopt;
}

Result<Timeline> ParseTimeline(std::string_view text) {
  Builder builder;
  uint64_t number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    RETURN_IF_ERROR(builder.Line(line, ++number));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return builder.Finish();
}

Result<Timeline> ReadTimeline(const std::string& path) {
  // Streamed: a history may be far larger than memory wants to hold at once.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path, errno);
  Builder builder;
  uint64_t number = 0;
  std::string pending;
  Status s = ReadChunks(fd, path, 1 << 20, [&](std::string_view chunk) -> Status {
    pending.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      RETURN_IF_ERROR(builder.Line(std::string_view(pending).substr(start, nl - start), ++number));
    }
    pending.erase(0, start);
    return Status::Ok();
  });
  ::close(fd);
  if (s.ok() && !pending.empty()) s = builder.Line(pending, ++number);
  if (!s.ok()) return s.message().rfind(path, 0) == 0 ? s : s.WithContext(path);
  return builder.Finish();
}

}  // namespace faultline::reports
