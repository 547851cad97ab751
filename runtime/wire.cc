#include "runtime/wire.h"

#include "base/coding.h"
#include "base/record_log.h"

namespace faultline::runtime {

const char* FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kHello:
      return "hello";
    case FrameType::kRecords:
      return "records";
    case FrameType::kOutputs:
      return "outputs";
    case FrameType::kBarrier:
      return "barrier";
    case FrameType::kWatermark:
      return "watermark";
    case FrameType::kEndOfStream:
      return "end-of-stream";
    case FrameType::kCredit:
      return "credit";
    case FrameType::kControl:
      return "control";
  }
  return "unknown";
}

void EncodeInputRecord(const InputRecord& r, std::string* out) {
  out->push_back(static_cast<char>(r.kind));
  PutVarint64(out, r.id);
  PutLengthPrefixed(out, r.key);
  PutVarsint64(out, r.event_time);
  PutVarsint64(out, r.value);
}

namespace {

InputRecord DecodeInputRecordFrom(Decoder& d) {
  InputRecord r;
  r.kind = static_cast<InputRecord::Kind>(d.Byte());
  r.id = d.Varint64();
  r.key = std::string(d.LengthPrefixed());
  r.event_time = d.Varsint64();
  r.value = d.Varsint64();
  return r;
}

bool ValidKind(InputRecord::Kind k) {
  return k == InputRecord::Kind::kData || k == InputRecord::Kind::kWatermark;
}

}  // namespace

Result<InputRecord> DecodeInputRecord(std::string_view payload) {
  Decoder d(payload);
  InputRecord r = DecodeInputRecordFrom(d);
  if (!d.ok() || !d.done() || !ValidKind(r.kind)) {
    return Status::Corruption("malformed input record (" + std::to_string(payload.size()) +
                              " bytes)");
  }
  return r;
}

std::string MakeFrame(FrameType type, std::string_view body) {
  std::string payload;
  payload.reserve(body.size() + 1);
  payload.push_back(static_cast<char>(type));
  payload.append(body);
  std::string frame;
  frame.reserve(payload.size() + kLogHeaderSize);
  AppendLogFrame(&frame, payload);
  return frame;
}

std::string MakeBarrierFrame(uint64_t checkpoint_id) {
  std::string body;
  PutVarint64(&body, checkpoint_id);
  return MakeFrame(FrameType::kBarrier, body);
}

std::string MakeWatermarkFrame(int64_t watermark) {
  std::string body;
  PutVarsint64(&body, watermark);
  return MakeFrame(FrameType::kWatermark, body);
}

std::string MakeCreditFrame(uint64_t credits) {
  std::string body;
  PutVarint64(&body, credits);
  return MakeFrame(FrameType::kCredit, body);
}

std::string EncodeInputBatch(const std::vector<InputRecord>& records) {
  std::string body;
  body.reserve(records.size() * 24 + 4);
  PutVarint64(&body, records.size());
  for (const auto& r : records) EncodeInputRecord(r, &body);
  return body;
}

Result<std::vector<InputRecord>> DecodeInputBatch(std::string_view body) {
  Decoder d(body);
  uint64_t n = d.Varint64();
  if (!d.ok() || n > body.size()) return Status::Corruption("malformed record batch header");
  std::vector<InputRecord> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    out.push_back(DecodeInputRecordFrom(d));
    if (!d.ok() || !ValidKind(out.back().kind)) {
      return Status::Corruption("malformed record " + std::to_string(i) + " in a batch");
    }
  }
  if (!d.done()) return Status::Corruption("trailing bytes after a record batch");
  return out;
}

std::string EncodeOutputBatch(const std::vector<OutputRecord>& records) {
  std::string body;
  PutVarint64(&body, records.size());
  std::string one;
  for (const auto& r : records) {
    one.clear();
    EncodeOutputRecord(r, &one);
    PutLengthPrefixed(&body, one);
  }
  return body;
}

Result<std::vector<OutputRecord>> DecodeOutputBatch(std::string_view body) {
  Decoder d(body);
  uint64_t n = d.Varint64();
  if (!d.ok() || n > body.size()) return Status::Corruption("malformed output batch header");
  std::vector<OutputRecord> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view one = d.LengthPrefixed();
    if (!d.ok()) return Status::Corruption("truncated output batch");
    ASSIGN_OR_RETURN(OutputRecord r, DecodeOutputRecord(one));
    out.push_back(std::move(r));
  }
  if (!d.done()) return Status::Corruption("trailing bytes after an output batch");
  return out;
}

Result<uint64_t> DecodeVarintBody(std::string_view body) {
  Decoder d(body);
  uint64_t v = d.Varint64();
  if (!d.ok() || !d.done()) return Status::Corruption("malformed varint frame body");
  return v;
}

Result<int64_t> DecodeSignedBody(std::string_view body) {
  Decoder d(body);
  int64_t v = d.Varsint64();
  if (!d.ok() || !d.done()) return Status::Corruption("malformed varint frame body");
  return v;
}

}  // namespace faultline::runtime
