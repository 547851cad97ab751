#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"

namespace faultline {

// A CRC32C-framed append-only log. Each record is a frame:
//   u32 length (little-endian) | u32 masked crc32c(length bytes + payload) | payload
// The CRC covers the length, so a flipped length byte is caught rather than followed.
// Every input log, sink segment and history file of Faultline that must survive a crash is
// one of these.

inline constexpr size_t kLogHeaderSize = 8;
inline constexpr uint32_t kMaxLogRecordSize = 64u << 20;

// Appends the frame of `payload` to `out`.
void AppendLogFrame(std::string* out, std::string_view payload);

// Decodes the frame at the start of `data` (also used for frames on the wire).
enum class FrameStatus { kOk, kIncomplete, kCorrupt };
struct DecodedFrame {
  FrameStatus status;
  std::string_view payload;  // kOk: points into `data`
  size_t frame_size = 0;     // kOk: header + payload
  std::string reason;        // otherwise: why
};
DecodedFrame DecodeLogFrame(std::string_view data);

struct LogRecord {
  uint64_t offset;  // byte offset of the frame in the file
  std::string payload;
};

// Where and why a log stops being valid.
struct LogDamage {
  uint64_t offset;     // start of the first invalid frame
  std::string reason;  // "torn tail: ...", "CRC mismatch ...", "bad length ..."
  // A torn tail is an incomplete last frame (a crash during a write); anything else is
  // corruption of a complete frame.
  bool torn_tail;
};

// The longest valid prefix of a log: its records in order, where it ends, and the damage that
// ended it (none when the whole input was valid).
struct LogScan {
  std::vector<LogRecord> records;
  uint64_t valid_end = 0;
  std::optional<LogDamage> damage;
};

// Parses frames from `data`, which starts at file offset `base_offset`.
LogScan ScanLog(std::string_view data, uint64_t base_offset = 0);
// Reads and scans a whole file. A missing file is NotFound.
Result<LogScan> ReadLog(const std::string& path);

// How often RecordLogWriter makes appended records durable on its own. Callers that need a
// durability point (acknowledging input, pre-committing a transaction) call Sync().
struct SyncPolicy {
  uint32_t every_records = 0;  // 0 = only on explicit Sync()
  uint64_t every_bytes = 0;    // 0 = no byte threshold
};

// RecordLogWriter appends frames to a log file, buffering in memory and fsyncing in batches.
// Creating a log syncs its directory, so that the file itself survives a power loss. Opening
// an existing log first cuts any torn or corrupt tail (reported by
// recovered_damage()), so new records never hide behind garbage. offset() is the logical end
// (buffered bytes included); synced_offset() is what has reached the disk.
// Thread-compatible: one writer at a time.
class RecordLogWriter {
 public:
  static Result<RecordLogWriter> Open(const std::string& path, SyncPolicy policy = {});

  // Appends one record and returns the offset of its frame.
  Result<uint64_t> Append(std::string_view payload);
  // Writes buffered frames to the OS (not durable yet): readers in other processes see them.
  Status Flush();
  // Flush + fsync: everything appended so far is durable once this returns ok.
  Status Sync();
  Status Close();

  uint64_t offset() const { return file_.size() + buffer_.size(); }
  uint64_t synced_offset() const { return file_.synced_size(); }
  uint64_t records_appended() const { return records_appended_; }
  const std::optional<LogDamage>& recovered_damage() const { return recovered_damage_; }

 private:
  RecordLogWriter(AppendFile file, SyncPolicy policy) : file_(std::move(file)), policy_(policy) {}

  AppendFile file_;
  SyncPolicy policy_;
  std::string buffer_;
  uint32_t unsynced_records_ = 0;
  uint64_t records_appended_ = 0;
  std::optional<LogDamage> recovered_damage_;
};

// LogTailer follows a log that another process may still be appending to. Poll() returns the
// complete, valid records that appeared since the last call. An incomplete or invalid frame at
// the end is taken as a write in progress and retried on the next Poll(); once the file has not
// grown for `settle_polls` polls, the frame is reported through damage() and never returned.
// Reads in bounded chunks, so memory does not grow with the file. Thread-compatible.
class LogTailer {
 public:
  explicit LogTailer(std::string path, uint64_t start_offset = 0, int settle_polls = 3)
      : path_(std::move(path)), offset_(start_offset), settle_polls_(settle_polls) {}

  // Appends up to `max_records` new records to `out`. A file that does not exist yet is
  // simply empty.
  Status Poll(std::vector<LogRecord>* out, size_t max_records = SIZE_MAX);

  uint64_t offset() const { return offset_; }  // where the next record starts
  const std::optional<LogDamage>& damage() const { return damage_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t offset_;
  int settle_polls_;
  uint64_t last_size_ = 0;
  int unchanged_polls_ = 0;
  std::optional<LogDamage> damage_;
};

}  // namespace faultline
