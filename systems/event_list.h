#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "systems/system.h"

namespace faultline::systems {

// EventList collects what a system's harness-side parts (its clients) saw happen, as node
// events for the history: {"node": ..., "event": ..., fields}. Thread-safe.
class EventList {
 public:
  void Add(const std::string& node, const std::string& event,
           nlohmann::json fields = nlohmann::json::object());
  std::vector<NodeEvent> Take();

 private:
  std::mutex mu_;
  std::vector<NodeEvent> events_;  // guarded by mu_
};

}  // namespace faultline::systems
