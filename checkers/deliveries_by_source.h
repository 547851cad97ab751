#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace faultline::checkers {

// DeliveriesBySource keeps, per source, the committed deliveries read from it in order, and
// applies the history format's retraction rule (docs/history-format.md, `retraction`): all but
// the first `kept` are taken back, and later deliveries from the source count on from there.
// The history reader keeps line indices in it, the observer record ids. The last source added
// is cached: deliveries come in runs from one source. Thread-compatible.
template <typename T>
class DeliveriesBySource {
 public:
  void Add(std::string_view source, T delivery) {
    if (last_ == nullptr || source != last_source_) {
      last_source_ = source;
      last_ = &by_source_[last_source_];
    }
    last_->push_back(delivery);
  }

  // Calls take_back(delivery) for each delivery from `source` beyond its first `kept`, in
  // order, and forgets them.
  template <typename TakeBack>
  void Retract(const std::string& source, int64_t kept, TakeBack take_back) {
    auto it = by_source_.find(source);
    if (it == by_source_.end()) return;  // nothing seen from there: nothing taken back
    std::vector<T>& seen = it->second;
    const size_t keep = static_cast<size_t>(std::max<int64_t>(kept, 0));
    for (size_t k = keep; k < seen.size(); ++k) take_back(seen[k]);
    if (seen.size() > keep) seen.resize(keep);
  }

 private:
  std::unordered_map<std::string, std::vector<T>> by_source_;
  std::string last_source_;
  std::vector<T>* last_ = nullptr;  // by_source_[last_source_]; map nodes do not move
};

}  // namespace faultline::checkers
