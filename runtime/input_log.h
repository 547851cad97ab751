#pragma once

#include <cstdint>
#include <string>

#include "base/record_log.h"
#include "base/status.h"
#include "runtime/wire.h"

namespace faultline::runtime {

// The input log: one CRC-framed record log per partition, INPUT/partition-<p>.log, each record
// an EncodeInputRecord payload. Appended by `faultline-node produce` or the harness generator;
// read by source tasks by offset.
std::string InputPartitionPath(const std::string& input_dir, int partition);
// The partition of a record: its id modulo the partition count (spreads records evenly and
// lets every reader recompute it).
int PartitionOf(uint64_t id, int partitions);

// InputLogWriter appends records to all partitions of an input log. Sync() makes every
// appended record durable; only then may a record be reported as input.
// Thread-compatible.
class InputLogWriter {
 public:
  static Result<InputLogWriter> Open(const std::string& input_dir, int partitions);
  // Appends to the record's partition; returns the frame offset within that partition.
  Result<uint64_t> Append(const InputRecord& record, int partition);
  Status Sync();

 private:
  std::vector<RecordLogWriter> writers_;
  std::string scratch_;
};

}  // namespace faultline::runtime
