#include "runtime/output_record.h"

#include <nlohmann/json.hpp>

#include "base/coding.h"

namespace faultline::runtime {

// Layout: u8 kind | varint id | varint key length | key | zigzag count | zigzag window_start |
// zigzag window_end. Every field is always present, so any OutputRecord round-trips exactly;
// zero fields cost one byte each.
void EncodeOutputRecord(const OutputRecord& record, std::string* out) {
  out->push_back(static_cast<char>(record.kind));
  PutVarint64(out, record.id);
  PutLengthPrefixed(out, record.key);
  PutVarsint64(out, record.count);
  PutVarsint64(out, record.window_start);
  PutVarsint64(out, record.window_end);
}

Result<OutputRecord> DecodeOutputRecord(std::string_view payload) {
  auto bad = [&](std::string_view what) {
    return Status::Corruption("output record of " + std::to_string(payload.size()) +
                              " bytes: " + std::string(what));
  };
  Decoder d(payload);
  OutputRecord record;
  const uint8_t kind = d.Byte();
  record.id = d.Varint64();
  record.key = std::string(d.LengthPrefixed());
  record.count = d.Varsint64();
  record.window_start = d.Varsint64();
  record.window_end = d.Varsint64();
  if (!d.ok()) return bad("truncated or malformed");
  if (!d.done()) return bad(std::to_string(d.remaining()) + " trailing bytes");
  if (kind != static_cast<uint8_t>(OutputRecord::Kind::kCount) &&
      kind != static_cast<uint8_t>(OutputRecord::Kind::kWindow)) {
    return bad("unknown kind " + std::to_string(kind));
  }
  record.kind = static_cast<OutputRecord::Kind>(kind);
  return record;
}

std::string OutputRecordToJson(const OutputRecord& record) {
  nlohmann::ordered_json j;
  if (record.kind == OutputRecord::Kind::kWindow) {
    j["key"] = record.key;
    j["start"] = record.window_start;
    j["end"] = record.window_end;
  } else {
    j["id"] = record.id;
    j["key"] = record.key;
  }
  j["count"] = record.count;
  // Keys are bytes: invalid UTF-8 becomes U+FFFD instead of an exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace faultline::runtime
