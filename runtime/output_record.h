#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace faultline::runtime {

// One record of the job's output, as the sink stores it. The count job emits {id, key, count};
// the window-count job emits window results {key, window_start, window_end, count} (id unused).
struct OutputRecord {
  enum class Kind : uint8_t { kCount = 1, kWindow = 2 };
  Kind kind = Kind::kCount;
  uint64_t id = 0;
  std::string key;
  int64_t count = 0;
  int64_t window_start = 0;
  int64_t window_end = 0;
  bool operator==(const OutputRecord&) const = default;
};

// Compact binary encoding used inside sink segments (each record is one CRC-framed log record).
void EncodeOutputRecord(const OutputRecord& record, std::string* out);
Result<OutputRecord> DecodeOutputRecord(std::string_view payload);
// One JSON line (no newline), as `faultline-node consume` prints it:
// {"id":42,"key":"k7","count":3} or {"key":"k7","start":1000,"end":2000,"count":17}.
std::string OutputRecordToJson(const OutputRecord& record);

}  // namespace faultline::runtime
