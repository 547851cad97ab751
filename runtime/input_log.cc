#include "runtime/input_log.h"

#include "base/file.h"

namespace faultline::runtime {

std::string InputPartitionPath(const std::string& input_dir, int partition) {
  return JoinPath(input_dir, "partition-" + std::to_string(partition) + ".log");
}

int PartitionOf(uint64_t id, int partitions) {
  return static_cast<int>(id % static_cast<uint64_t>(partitions));
}

Result<InputLogWriter> InputLogWriter::Open(const std::string& input_dir, int partitions) {
  RETURN_IF_ERROR(CreateDirs(input_dir));
  InputLogWriter w;
  for (int p = 0; p < partitions; ++p) {
    ASSIGN_OR_RETURN(RecordLogWriter lw, RecordLogWriter::Open(InputPartitionPath(input_dir, p)));
    w.writers_.push_back(std::move(lw));
  }
  return w;
}

Result<uint64_t> InputLogWriter::Append(const InputRecord& record, int partition) {
  if (partition < 0 || partition >= static_cast<int>(writers_.size())) {
    return Status::InvalidArgument("partition " + std::to_string(partition) + " out of range");
  }
  scratch_.clear();
  EncodeInputRecord(record, &scratch_);
  return writers_[partition].Append(scratch_);
}

Status InputLogWriter::Sync() {
  for (auto& w : writers_) RETURN_IF_ERROR(w.Sync());
  return Status::Ok();
}

}  // namespace faultline::runtime
