#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline::checkers {

// One top-level member of a JSON object line, as raw views into the scanned line.
struct JsonMember {
  enum class Kind : uint8_t { kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };
  std::string_view name;  // raw bytes between the quotes (escapes not decoded)
  // kString: the raw bytes between the quotes; kNumber: the number's text; otherwise the whole
  // value's text (an object or array with its brackets).
  std::string_view raw;
  Kind kind = Kind::kNull;
  bool name_escaped = false;  // `name` holds a backslash escape
  bool escaped = false;       // kString only: `raw` holds a backslash escape
  bool is_int = false;        // kNumber only: an integer of at most 18 digits, in `int_value`
  int64_t int_value = 0;
};

// ScanJsonObjectLine parses `line`, which must hold exactly one JSON object (RFC 8259, with
// surrounding whitespace allowed), and appends its top-level members to `members` in order.
// Nested objects and arrays are validated and skipped, not decoded. Built for speed on the
// flat lines of history.jsonl: one pass, no allocation beyond `members`. On malformed input it
// returns Corruption naming the column (1-based) and what was expected; it never reads past
// `line`. Thread-safe (no shared state).
Status ScanJsonObjectLine(std::string_view line, std::vector<JsonMember>* members);

// Decodes the raw contents of a JSON string (as found by the scanner) into `out`, replacing its
// contents. Handles every escape, including surrogate pairs; a lone surrogate becomes U+FFFD.
void DecodeJsonString(std::string_view raw, std::string* out);

// Parses the text of a JSON number that holds an integer (no fraction, no exponent) into an
// int64 or a uint64. False when it is not an integer or does not fit.
bool ParseJsonInt64(std::string_view text, int64_t* out);
bool ParseJsonUint64(std::string_view text, uint64_t* out);

}  // namespace faultline::checkers
