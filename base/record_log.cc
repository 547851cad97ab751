#include "base/record_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/crc32c.h"

namespace faultline {
namespace {

void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

uint32_t FrameCrc(const char* len_bytes, std::string_view payload) {
  uint32_t crc = crc32c::Extend(0, len_bytes, 4);
  return crc32c::Mask(crc32c::Extend(crc, payload.data(), payload.size()));
}

enum class FrameResult { kOk, kIncomplete, kCorrupt };

// Decodes the frame at the start of `data`: on kOk sets *payload and *frame_size; otherwise
// *reason says why.
FrameResult DecodeFrame(std::string_view data, std::string_view* payload, size_t* frame_size,
                        std::string* reason) {
  if (data.size() < kLogHeaderSize) {
    *reason = "torn tail: header has " + std::to_string(data.size()) + " of 8 bytes";
    return FrameResult::kIncomplete;
  }
  uint32_t len = GetU32(data.data());
  if (len > kMaxLogRecordSize) {
    *reason =
        "bad length " + std::to_string(len) + " (limit " + std::to_string(kMaxLogRecordSize) + ")";
    return FrameResult::kCorrupt;
  }
  if (data.size() < kLogHeaderSize + len) {
    *reason = "torn tail: frame needs " + std::to_string(kLogHeaderSize + len) + " bytes, " +
              std::to_string(data.size()) + " present";
    return FrameResult::kIncomplete;
  }
  std::string_view body = data.substr(kLogHeaderSize, len);
  uint32_t stored = GetU32(data.data() + 4);
  if (FrameCrc(data.data(), body) != stored) {
    *reason = "CRC mismatch in a " + std::to_string(len) + "-byte record";
    return FrameResult::kCorrupt;
  }
  *payload = body;
  *frame_size = kLogHeaderSize + len;
  return FrameResult::kOk;
}

}  // namespace

DecodedFrame DecodeLogFrame(std::string_view data) {
  DecodedFrame f;
  FrameResult r = DecodeFrame(data, &f.payload, &f.frame_size, &f.reason);
  f.status = r == FrameResult::kOk           ? FrameStatus::kOk
             : r == FrameResult::kIncomplete ? FrameStatus::kIncomplete
                                             : FrameStatus::kCorrupt;
  return f;
}

void AppendLogFrame(std::string* out, std::string_view payload) {
  size_t start = out->size();
  PutU32(out, static_cast<uint32_t>(payload.size()));
  uint32_t crc = FrameCrc(out->data() + start, payload);
  PutU32(out, crc);
  out->append(payload);
}

LogScan ScanLog(std::string_view data, uint64_t base_offset) {
  LogScan scan;
  size_t pos = 0;
  while (pos < data.size()) {
    std::string_view payload;
    size_t frame_size = 0;
    std::string reason;
    FrameResult r = DecodeFrame(data.substr(pos), &payload, &frame_size, &reason);
    if (r != FrameResult::kOk) {
      scan.damage = LogDamage{base_offset + pos, std::move(reason), r == FrameResult::kIncomplete};
      break;
    }
    scan.records.push_back({base_offset + pos, std::string(payload)});
    pos += frame_size;
  }
  scan.valid_end = base_offset + pos;
  return scan;
}

Result<LogScan> ReadLog(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
  return ScanLog(data);
}

Result<RecordLogWriter> RecordLogWriter::Open(const std::string& path, SyncPolicy policy) {
  std::optional<LogDamage> damage;
  uint64_t valid_end = 0;
  const bool exists = PathExists(path);
  if (exists) {
    ASSIGN_OR_RETURN(LogScan scan, ReadLog(path));
    damage = scan.damage;
    valid_end = scan.valid_end;
  }
  ASSIGN_OR_RETURN(AppendFile file, AppendFile::Open(path));
  // A new file's name is durable only once its directory is synced: without this, a power
  // loss takes back the whole log, however often its data was fsynced.
  if (!exists) RETURN_IF_ERROR(FsyncDir(DirName(path)));
  if (file.size() != valid_end) RETURN_IF_ERROR(file.Truncate(valid_end));
  RecordLogWriter writer(std::move(file), policy);
  writer.recovered_damage_ = std::move(damage);
  return writer;
}

Result<uint64_t> RecordLogWriter::Append(std::string_view payload) {
  if (payload.size() > kMaxLogRecordSize) {
    return Status::InvalidArgument("record of " + std::to_string(payload.size()) +
                                   " bytes exceeds the log's limit");
  }
  uint64_t at = offset();
  AppendLogFrame(&buffer_, payload);
  ++records_appended_;
  ++unsynced_records_;
  bool sync_due = (policy_.every_records > 0 && unsynced_records_ >= policy_.every_records) ||
                  (policy_.every_bytes > 0 && offset() - synced_offset() >= policy_.every_bytes);
  if (sync_due) {
    RETURN_IF_ERROR(Sync());
  } else if (buffer_.size() >= (1u << 16)) {
    RETURN_IF_ERROR(Flush());
  }
  return at;
}

Status RecordLogWriter::Flush() {
  if (buffer_.empty()) return Status::Ok();
  RETURN_IF_ERROR(file_.Append(buffer_));
  buffer_.clear();
  return Status::Ok();
}

Status RecordLogWriter::Sync() {
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(file_.Sync());
  unsynced_records_ = 0;
  return Status::Ok();
}

Status RecordLogWriter::Close() {
  RETURN_IF_ERROR(Sync());
  return file_.Close();
}

Status LogTailer::Poll(std::vector<LogRecord>* out, size_t max_records) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::IoError("open " + path_, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::IoError("stat " + path_, err);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  constexpr size_t kChunk = 1 << 20;
  std::string buf;
  size_t returned = 0;
  Status status;
  std::optional<LogDamage> stuck;
  while (returned < max_records && offset_ < size && !stuck) {
    const uint64_t avail = size - offset_;
    size_t want = static_cast<size_t>(std::min<uint64_t>(avail, kChunk));
    for (int attempt = 0; attempt < 2; ++attempt) {  // a second read when one frame > chunk
      buf.resize(want);
      ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset_));
      if (n < 0) {
        status = Status::IoError("read " + path_, errno);
        break;
      }
      buf.resize(static_cast<size_t>(n));
      if (buf.size() < kLogHeaderSize) break;
      uint32_t len = GetU32(buf.data());
      if (len > kMaxLogRecordSize || kLogHeaderSize + len <= want || kLogHeaderSize + len > avail) {
        break;
      }
      want = kLogHeaderSize + len;
    }
    if (!status.ok()) break;
    size_t pos = 0;
    while (pos < buf.size() && returned < max_records) {
      std::string_view payload;
      size_t frame_size = 0;
      std::string reason;
      FrameResult r =
          DecodeFrame(std::string_view(buf).substr(pos), &payload, &frame_size, &reason);
      if (r == FrameResult::kOk) {
        out->push_back({offset_ + pos, std::string(payload)});
        pos += frame_size;
        ++returned;
        continue;
      }
      // A frame cut by the end of the chunk, not of the file: read on from it.
      if (r == FrameResult::kIncomplete && offset_ + buf.size() < size && pos > 0) break;
      stuck = LogDamage{offset_ + pos, std::move(reason), r == FrameResult::kIncomplete};
      break;
    }
    offset_ += pos;
  }
  ::close(fd);
  if (stuck) {
    // The same bad frame with a file that stopped growing: not a write in progress.
    unchanged_polls_ = (size == last_size_) ? unchanged_polls_ + 1 : 0;
    if (unchanged_polls_ >= settle_polls_) damage_ = std::move(stuck);
  } else {
    unchanged_polls_ = 0;
    damage_.reset();
  }
  last_size_ = size;
  return status;
}

}  // namespace faultline
