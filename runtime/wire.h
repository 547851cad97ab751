#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/output_record.h"

namespace faultline::runtime {

// The wire format between runtime processes. A frame is a CRC-framed log record
// (base/record_log.h: u32 length | u32 masked CRC32C | payload) whose payload starts with a
// FrameType byte. A frame whose CRC fails is never interpreted: the connection is dropped.
// The harness's link proxy reads this header (and only this one) to find barriers.

enum class FrameType : uint8_t {
  kHello = 1,        // first frame of a connection: JSON, says who connects and why
  kRecords = 2,      // a batch of input records (source -> operator)
  kOutputs = 3,      // a batch of output records (operator -> sink)
  kBarrier = 4,      // checkpoint barrier: varint checkpoint id
  kWatermark = 5,    // event-time watermark: zigzag varint ms
  kEndOfStream = 6,  // the sender will send nothing more
  kCredit = 7,       // receiver -> sender: varint number of frames it may send
  kControl = 8,      // a JSON control message (coordinator <-> worker, admin)
};
const char* FrameTypeName(FrameType type);

// One record of the input log and of source -> operator batches. A watermark marker in the
// input log (kind kWatermark) advances event time for its partition without being data: the
// harness appends one per partition when input ends so that the last windows can close.
struct InputRecord {
  enum class Kind : uint8_t { kData = 1, kWatermark = 2 };
  Kind kind = Kind::kData;
  uint64_t id = 0;
  std::string key;
  int64_t event_time = 0;
  int64_t value = 1;
  bool operator==(const InputRecord&) const = default;
};

void EncodeInputRecord(const InputRecord& r, std::string* out);
Result<InputRecord> DecodeInputRecord(std::string_view payload);

// Builds a whole frame (header included) ready to write to a socket.
std::string MakeFrame(FrameType type, std::string_view body);
std::string MakeBarrierFrame(uint64_t checkpoint_id);
std::string MakeWatermarkFrame(int64_t watermark);
std::string MakeCreditFrame(uint64_t credits);

// Batches: a varint count followed by the encoded records.
std::string EncodeInputBatch(const std::vector<InputRecord>& records);
Result<std::vector<InputRecord>> DecodeInputBatch(std::string_view body);
std::string EncodeOutputBatch(const std::vector<OutputRecord>& records);
Result<std::vector<OutputRecord>> DecodeOutputBatch(std::string_view body);

// A single varint body (barrier id, credits) / zigzag varint (watermark).
Result<uint64_t> DecodeVarintBody(std::string_view body);
Result<int64_t> DecodeSignedBody(std::string_view body);

// A decoded frame: type + body (payload without the type byte).
struct Frame {
  FrameType type;
  std::string body;
};

}  // namespace faultline::runtime
