#include "checkers/windows.h"

#include <algorithm>
#include <unordered_map>

#include "checkers/registry.h"

namespace faultline::checkers {
namespace {

constexpr size_t kMaxListed = 10;  // results listed in one example

struct WindowKey {
  uint32_t key;
  int64_t start;
  int64_t end;
  bool operator==(const WindowKey&) const = default;
};

struct WindowKeyHash {
  size_t operator()(const WindowKey& k) const {
    uint64_t h = k.key * 0x9E3779B97F4A7C15ULL;
    h ^= static_cast<uint64_t>(k.start) * 0xC2B2AE3D27D4EB4FULL;
    h ^= static_cast<uint64_t>(k.end) * 0x165667B19E3779F9ULL;
    return h ^ (h >> 31);
  }
};

int64_t FloorMod(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

// The window's key, bounds and batch count, with the context of its first input (or of the
// span [t, t] when it has none).
nlohmann::json WindowExample(const WindowTable::Window& w, int64_t t,
                             const ContextBuilder& context) {
  nlohmann::json e = {{"start", w.start}, {"end", w.end}, {"expected", w.expected()}};
  if (w.unknown() > 0) e["expected_max"] = w.expected_max();
  if (w.failed() > 0) e["failed_inputs"] = w.failed();
  if (w.first_input != kNoInput) {
    context.AddInput(w.first_input, w.delivered_t, t, &e);
  } else {
    e["key"] = context.KeyName(w.key);
    context.AddSpan(t, t, &e);
  }
  return e;
}

nlohmann::json ResultsJson(const History& history, const std::vector<uint32_t>& lines) {
  nlohmann::json results = nlohmann::json::array();
  for (size_t k = 0; k < lines.size() && k < kMaxListed; ++k) {
    const WindowEvent& r = history.windows[lines[k]];
    results.push_back({{"t", r.t}, {"count", r.count}, {"committed", r.committed}});
  }
  return results;
}

// The distinct counts among `lines`, each with its first line.
std::vector<uint32_t> DistinctCounts(const History& history, const std::vector<uint32_t>& lines) {
  std::vector<std::pair<int64_t, uint32_t>> counts;
  for (uint32_t l : lines) counts.push_back({history.windows[l].count, l});
  return FirstLineOfEachKey(std::move(counts));
}

}  // namespace

WindowTable::WindowTable(const History& history, const IdIndex& ids)
    : ids_(ids), size_(history.meta.window_size), delivered_t_(history.inputs.size(), kNever) {
  int64_t align = 0;
  for (const WindowEvent& w : history.windows) {
    if (w.end <= w.start || (size_ && w.end - w.start != *size_)) continue;
    size_ = w.end - w.start;
    align = FloorMod(w.start, *size_);
    break;
  }
  std::unordered_map<WindowKey, uint32_t, WindowKeyHash> slot_of;
  std::vector<uint32_t> last_slot(history.keys.size(), kNoInput);  // per key: a cache
  auto find_or_add = [&](uint32_t key, int64_t start, int64_t end) {
    uint32_t cached = last_slot[key];
    if (cached != kNoInput && windows_[cached].start == start && windows_[cached].end == end) {
      return cached;
    }
    auto [it, inserted] =
        slot_of.try_emplace(WindowKey{key, start, end}, static_cast<uint32_t>(windows_.size()));
    if (inserted) {
      windows_.emplace_back();
      windows_.back().key = key;
      windows_.back().start = start;
      windows_.back().end = end;
    }
    last_slot[key] = it->second;
    return it->second;
  };
  std::vector<uint32_t> input_slot(history.inputs.size(), kNoInput);
  for (uint32_t i = 0; i < history.inputs.size(); ++i) {
    if (!ids.IsCanonical(i)) continue;
    const InputEvent& in = history.inputs[i];
    int64_t start = size_ ? in.event_time - FloorMod(in.event_time - align, *size_) : 0;
    uint32_t slot = find_or_add(in.key, start, size_ ? start + *size_ : 0);
    Window& w = windows_[slot];
    if (w.first_input == kNoInput) w.first_input = i;
    ++w.sends[static_cast<int>(ids.StatusOf(i))];
    input_slot[i] = slot;
  }
  for (uint32_t l = 0; l < history.windows.size(); ++l) {
    const WindowEvent& r = history.windows[l];
    Window& w = windows_[find_or_add(r.key, r.start, r.end)];
    if (r.committed && !r.retracted) {  // a retracted result is not in the output any more
      w.committed.push_back(l);
      w.delivered_t = std::min(w.delivered_t, r.t);
    } else if (r.committed) {
      w.retracted.push_back(l);
    } else {
      w.uncommitted.push_back(l);
    }
  }
  for (uint32_t i = 0; i < history.inputs.size(); ++i) {
    if (input_slot[i] != kNoInput) delivered_t_[i] = windows_[input_slot[i]].delivered_t;
  }
}

CheckerResult CheckWindowDelivery(const History& history, const WindowTable& table,
                                  const ContextBuilder& context) {
  CheckerResult r = NewCheckerResult(CheckerId::kDelivery);
  Anomaly& lost = *r.Find("lost");
  Anomaly& duplicated = *r.Find("duplicated");
  Anomaly& unexpected = *r.Find("unexpected");
  Anomaly& after_fail = *r.Find("delivered-after-fail");
  for (const WindowTable::Window& w : table.windows()) {
    if (w.expected() > 0 && w.committed.empty()) {
      lost.Note([&] { return WindowExample(w, kNever, context); });
      continue;
    }
    if (w.committed.empty()) continue;
    if (!w.has_input()) {
      unexpected.Note([&] {
        nlohmann::json e = WindowExample(w, history.windows[w.committed[0]].t, context);
        e["results"] = ResultsJson(history, w.committed);
        return e;
      });
      continue;
    }
    if (w.expected_max() == 0) {  // only failed sends, and a result
      after_fail.Note([&] {
        nlohmann::json e = WindowExample(w, history.windows[w.committed[0]].t, context);
        e["results"] = ResultsJson(history, w.committed);
        return e;
      });
    }
    if (w.committed.size() > 1) {
      duplicated.NoteMany(static_cast<int64_t>(w.committed.size()) - 1, [&] {
        nlohmann::json e = WindowExample(w, history.windows[w.committed.back()].t, context);
        e["results"] = ResultsJson(history, w.committed);
        return e;
      });
    }
  }
  int64_t failed = 0, unknown_delivered = 0, unknown_missing = 0;
  const bool all_ok = history.failed_sends + history.unknown_sends == 0;
  for (uint32_t i = 0; i < history.inputs.size() && !all_ok; ++i) {
    if (!table.ids().IsCanonical(i)) continue;
    const SendStatus status = table.ids().StatusOf(i);
    if (status == SendStatus::kFail) ++failed;
    if (status == SendStatus::kUnknown)
      ++(table.delivered_t(i) == kNever ? unknown_missing : unknown_delivered);
  }
  r.details = {{"failed", failed},
               {"unknown_delivered", unknown_delivered},
               {"unknown_missing", unknown_missing}};
  return r;
}

CheckerResult CheckWindows(const History& history, const WindowTable& table,
                           const ContextBuilder& context) {
  CheckerResult r = NewCheckerResult(CheckerId::kWindows);
  Anomaly& mismatched = *r.Find("mismatched");
  int64_t missing = 0, extra = 0, differing = 0, under = 0, over = 0, with_input = 0;
  for (const WindowTable::Window& w : table.windows()) {
    if (w.has_input()) ++with_input;
    if (w.committed.empty()) {
      if (w.expected() == 0) continue;  // nothing required; or only seen uncommitted
      ++missing;
      mismatched.Note([&] {
        nlohmann::json e = WindowExample(w, kNever, context);
        e["problem"] = "missing";
        return e;
      });
      continue;
    }
    if (!w.has_input()) {  // results for a window no input fell in
      ++extra;
      mismatched.Note([&] {
        const WindowEvent& result = history.windows[w.committed[0]];
        nlohmann::json e = WindowExample(w, result.t, context);
        e["problem"] = "extra";
        e["results"] = ResultsJson(history, w.committed);
        return e;
      });
      continue;
    }
    for (uint32_t l : DistinctCounts(history, w.committed)) {
      const WindowEvent& result = history.windows[l];
      if (result.count >= w.expected() && result.count <= w.expected_max()) continue;
      ++differing;
      (result.count < w.expected() ? under : over)++;
      mismatched.Note([&] {
        nlohmann::json e = WindowExample(w, result.t, context);
        e["problem"] = "differs";
        e["count"] = result.count;
        e["t"] = result.t;
        return e;
      });
    }
  }
  r.details = {{"window_size", table.size() ? nlohmann::json(*table.size()) : nlohmann::json()},
               {"windows", with_input},
               {"missing", missing},
               {"extra", extra},
               {"differing", differing},
               {"undercounted", under},
               {"overcounted", over}};
  return r;
}

CheckerResult CheckWindowVisibility(const History& history, const WindowTable& table,
                                    const ContextBuilder& context) {
  CheckerResult r = NewCheckerResult(CheckerId::kVisibility);
  Anomaly& aborted = *r.Find("aborted-reads");
  for (const WindowTable::Window& w : table.windows()) {
    if (w.uncommitted.empty()) continue;
    for (uint32_t l : DistinctCounts(history, w.uncommitted)) {
      const WindowEvent& seen = history.windows[l];
      // Committed and later taken back is still committed: no aborted read (the retraction
      // is its own anomaly).
      auto same_count = [&](uint32_t c) { return history.windows[c].count == seen.count; };
      bool became_committed = std::any_of(w.committed.begin(), w.committed.end(), same_count) ||
                              std::any_of(w.retracted.begin(), w.retracted.end(), same_count);
      if (became_committed) continue;
      aborted.Note([&] {
        nlohmann::json e = WindowExample(w, seen.t, context);
        e["count"] = seen.count;
        e["t"] = seen.t;
        return e;
      });
    }
  }
  Anomaly& retracted = *r.Find("retracted");
  for (const RetractionEvent& back : history.retractions) {
    if (!back.window) continue;
    retracted.Note([&] {
      const WindowEvent& result = history.windows[back.index];
      nlohmann::json e = {{"key", context.KeyName(result.key)},
                          {"start", result.start},
                          {"end", result.end},
                          {"count", result.count},
                          {"t", result.t},
                          {"retracted_t", back.t}};
      context.AddSpan(result.t, back.t, &e);
      return e;
    });
  }
  return r;
}

}  // namespace faultline::checkers
