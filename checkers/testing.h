#pragma once

// Test helpers: histories written line by line. Tests only.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "checkers/check.h"
#include "checkers/history.h"

namespace faultline::checkers::testing {

// HistoryText builds history.jsonl text in the docs/history-format.md format, one call per
// line.
// Not thread-safe.
class HistoryText {
 public:
  HistoryText& Meta(std::string_view mode, std::string_view job = "count",
                    std::string_view extra = "") {
    return Line("{\"type\":\"meta\",\"scenario\":\"test\",\"mode\":\"" + std::string(mode) +
                "\",\"job\":\"" + std::string(job) + "\",\"seed\":7" + std::string(extra) + "}");
  }
  HistoryText& Input(int64_t t, uint64_t id, std::string_view key, int partition = 0,
                     int64_t offset = -1, int64_t event_time = 0) {
    if (offset < 0) offset = static_cast<int64_t>(id);
    return Line(Head(t, "input") + ",\"id\":" + std::to_string(id) + Key(key) + ",\"partition\":" +
                std::to_string(partition) + ",\"offset\":" + std::to_string(offset) +
                ",\"event_time\":" + std::to_string(event_time) + ",\"value\":1}");
  }
  // A send without partition or offset (a system without partitions), with its outcome:
  // "ok", "fail" or "unknown"; `extra` is appended to the line's members (",\"error\":...").
  HistoryText& Send(int64_t t, uint64_t id, std::string_view key, std::string_view status,
                    std::string_view extra = "") {
    return Line(Head(t, "input") + ",\"id\":" + std::to_string(id) + Key(key) +
                ",\"event_time\":0,\"status\":\"" + std::string(status) + "\"" +
                std::string(extra) + "}");
  }
  // An input with partition and offset and a status.
  HistoryText& InputWithStatus(int64_t t, uint64_t id, std::string_view key,
                               std::string_view status, int partition = 0) {
    return Line(Head(t, "input") + ",\"id\":" + std::to_string(id) + Key(key) + ",\"partition\":" +
                std::to_string(partition) + ",\"offset\":" + std::to_string(id) +
                ",\"event_time\":0,\"status\":\"" + std::string(status) + "\"}");
  }
  // An output without a count (the delivery job).
  HistoryText& Record(int64_t t, uint64_t id, std::string_view key, bool committed = true) {
    return Line(Head(t, "output") + ",\"id\":" + std::to_string(id) + Key(key) +
                Committed(committed));
  }
  HistoryText& Output(int64_t t, uint64_t id, std::string_view key, int64_t count,
                      bool committed = true) {
    return Line(Head(t, "output") + ",\"id\":" + std::to_string(id) + Key(key) +
                ",\"count\":" + std::to_string(count) + Committed(committed));
  }
  // A committed output read from `source` (a segment file), which a Retraction can take back.
  HistoryText& OutputFrom(int64_t t, uint64_t id, std::string_view key, int64_t count,
                          std::string_view source) {
    return Line(Head(t, "output") + ",\"id\":" + std::to_string(id) + Key(key) + ",\"count\":" +
                std::to_string(count) + ",\"source\":\"" + std::string(source) + "\"}");
  }
  HistoryText& Retraction(int64_t t, std::string_view source, int64_t kept) {
    return Line(Head(t, "retraction") + ",\"source\":\"" + std::string(source) +
                "\",\"kept\":" + std::to_string(kept) + "}");
  }
  HistoryText& Window(int64_t t, std::string_view key, int64_t start, int64_t end, int64_t count,
                      bool committed = true) {
    return Line(Head(t, "window") + Key(key) + ",\"start\":" + std::to_string(start) + ",\"end\":" +
                std::to_string(end) + ",\"count\":" + std::to_string(count) + Committed(committed));
  }
  HistoryText& Fault(int64_t t, std::string_view fault, std::string_view target,
                     std::string_view phase) {
    return Line(Head(t, "fault") + ",\"fault\":\"" + std::string(fault) + "\",\"target\":\"" +
                std::string(target) + "\",\"phase\":\"" + std::string(phase) + "\"}");
  }
  HistoryText& Checkpoint(int64_t t, int64_t id) {
    return Line(Head(t, "runtime") +
                ",\"node\":\"coordinator\",\"event\":\"checkpoint-completed\",\"checkpoint\":" +
                std::to_string(id) + "}");
  }
  HistoryText& Phase(int64_t t, std::string_view phase) {
    return Line(Head(t, "phase") + ",\"phase\":\"" + std::string(phase) + "\"}");
  }
  // The phases of a run that reached quiescence.
  HistoryText& FinalRead(int64_t t) { return Phase(t, "final-read").Phase(t + 1, "done"); }
  HistoryText& Line(const std::string& line) {
    text_ += line + "\n";
    return *this;
  }

  const std::string& str() const { return text_; }
  // Parses the text; a parse error is a test bug, so it aborts with the message.
  History Parse() const {
    auto h = ParseHistory(text_);
    if (!h.ok()) std::abort();
    return std::move(h).value();
  }
  CheckResult Check(CheckOptions options = {}) const { return checkers::Check(Parse(), options); }

 private:
  static std::string Head(int64_t t, std::string_view type) {
    return "{\"t\":" + std::to_string(t) + ",\"type\":\"" + std::string(type) + "\"";
  }
  static std::string Key(std::string_view key) { return ",\"key\":\"" + std::string(key) + "\""; }
  static std::string Committed(bool committed) {
    return committed ? ",\"committed\":true}" : ",\"committed\":false}";
  }

  std::string text_;
};

}  // namespace faultline::checkers::testing
