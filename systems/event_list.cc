#include "systems/event_list.h"

#include "base/clock.h"

namespace faultline::systems {

void EventList::Add(const std::string& node, const std::string& event, nlohmann::json fields) {
  fields["node"] = node;
  fields["event"] = event;
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back({MonotonicNanos(), std::move(fields)});
}

std::vector<NodeEvent> EventList::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(events_);
}

}  // namespace faultline::systems
