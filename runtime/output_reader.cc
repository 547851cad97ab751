// The read side of the sink's output directory: ReadOutput and OutputTailer (sink.h).

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <unordered_map>

#include "base/crc32c.h"
#include "base/file.h"
#include "runtime/sink.h"

namespace faultline::runtime {
namespace {

// "a-10" after "a-9": digit runs compare as numbers.
bool NaturalLess(std::string_view a, std::string_view b) {
  auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  auto digits = [&](std::string_view s, size_t* pos) {
    size_t start = *pos;
    while (*pos < s.size() && is_digit(s[*pos])) ++*pos;
    std::string_view run = s.substr(start, *pos - start);
    while (run.size() > 1 && run.front() == '0') run.remove_prefix(1);
    return run;
  };
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      std::string_view da = digits(a, &i);
      std::string_view db = digits(b, &j);
      if (da.size() != db.size()) return da.size() < db.size();
      if (da != db) return da < db;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// N of a name with "-chk-N" (a transaction of checkpoint N), -1 for one without.
int64_t CheckpointOfName(std::string_view name) {
  size_t at = name.find("-chk-");
  if (at == std::string_view::npos) return -1;
  int64_t id = 0;
  auto [end, ec] = std::from_chars(name.data() + at + 5, name.data() + name.size(), id);
  return ec == std::errc() ? id : -1;
}

// Transactions in checkpoint order, then in natural name order: a key's output moves to another
// sink subtask at a rescale, and its epoch-N output (in the old subtask's file) came before its
// epoch-N+1 output (in the new one's), whichever subtask's name sorts first.
bool OutputFileLess(const std::string& a, const std::string& b) {
  const int64_t ca = CheckpointOfName(a), cb = CheckpointOfName(b);
  if (ca != cb) return ca < cb;
  return NaturalLess(a, b);
}

struct OutputFile {
  std::string rel;  // relative to OUT
  bool committed;
  bool sealed;  // a committed transaction: fsynced before it appeared, never grows
};

// The output files of `output_dir`: committed ones, then (with include_pending) pending ones,
// each group in checkpoint order, then natural name order. Missing directories are empty.
Result<std::vector<OutputFile>> ListOutputFiles(const std::string& output_dir,
                                                bool include_pending) {
  std::vector<OutputFile> files;
  for (bool committed : {true, false}) {
    if (!committed && !include_pending) break;
    const char* sub = committed ? "committed" : "pending";
    Result<std::vector<std::string>> names = ListDir(JoinPath(output_dir, sub));
    if (!names.ok()) {
      if (names.status().IsNotFound()) continue;
      return names.status();
    }
    std::sort(names->begin(), names->end(), OutputFileLess);
    for (const std::string& name : *names) {
      if (!name.starts_with("sink-")) continue;
      bool sealed = committed && name.ends_with(".seg");
      bool live = committed ? name.ends_with(".log") : name.ends_with(".txn");
      if (sealed || live) files.push_back({std::string(sub) + "/" + name, committed, sealed});
    }
  }
  return files;
}

// A torn tail of a file that may still be written (or was being written at a crash) is the
// end of its data; any other damage, and any damage of a sealed file, is corruption.
Status CheckDamage(const std::string& path, const OutputFile& file,
                   const std::optional<LogDamage>& damage) {
  if (!damage || (damage->torn_tail && !file.sealed)) return Status::Ok();
  return Status::Corruption("output file " + path + " at offset " + std::to_string(damage->offset) +
                            ": " + damage->reason);
}

Status AppendEntries(const std::string& path, const OutputFile& file,
                     const std::vector<LogRecord>& records, std::vector<OutputEntry>* out) {
  for (const LogRecord& r : records) {
    Result<OutputRecord> record = DecodeOutputRecord(r.payload);
    if (!record.ok()) {
      return record.status().WithContext("output file " + path + " at offset " +
                                         std::to_string(r.offset));
    }
    out->push_back({std::move(record).value(), file.rel, file.committed});
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<OutputEntry>> ReadOutput(const std::string& output_dir, bool include_pending) {
  ASSIGN_OR_RETURN(std::vector<OutputFile> files, ListOutputFiles(output_dir, include_pending));
  std::vector<OutputEntry> out;
  for (const OutputFile& file : files) {
    const std::string path = JoinPath(output_dir, file.rel);
    Result<LogScan> scan = ReadLog(path);
    if (!scan.ok()) {
      // A pending transaction may be committed or aborted between listing and reading.
      if (scan.status().IsNotFound() && !file.committed) continue;
      return scan.status();
    }
    RETURN_IF_ERROR(CheckDamage(path, file, scan->damage));
    RETURN_IF_ERROR(AppendEntries(path, file, scan->records, &out));
  }
  return out;
}

struct OutputTailer::Followed {
  OutputFile file;
  LogTailer tailer;
  bool listed = true;  // in the latest listing
  bool done = false;   // a sealed file read to its end
  // Committed files: the CRC32C of each record returned so far, so that a rescan can tell
  // which of them the file still holds.
  std::vector<uint32_t> record_crcs;
  ino_t inode = 0;  // as first seen; 0 before
};

OutputTailer::OutputTailer(std::string output_dir, bool include_pending)
    : output_dir_(std::move(output_dir)), include_pending_(include_pending) {}

OutputTailer::~OutputTailer() = default;

// Run when a committed file shrank below what was read or was replaced: keeps the longest
// prefix of the returned records that the file still holds and resumes reading after it.
Status OutputTailer::Rescan(Followed& f, std::vector<OutputRetraction>* retracted) {
  const std::string& path = f.tailer.path();
  Result<LogScan> scan = ReadLog(path);
  if (!scan.ok() && !scan.status().IsNotFound()) return scan.status();
  size_t kept = 0;
  if (scan.ok()) {
    while (kept < f.record_crcs.size() && kept < scan->records.size() &&
           crc32c::Value(scan->records[kept].payload) == f.record_crcs[kept]) {
      ++kept;
    }
  }
  if (kept == f.record_crcs.size()) return Status::Ok();  // all still there
  retracted->push_back({f.file.rel, static_cast<int64_t>(kept)});
  uint64_t resume = 0;
  if (scan.ok())
    resume = kept < scan->records.size() ? scan->records[kept].offset : scan->valid_end;
  f.record_crcs.resize(kept);
  f.tailer = LogTailer(path, resume);
  f.done = false;
  return Status::Ok();
}

Status OutputTailer::Poll(std::vector<OutputEntry>* out, std::vector<OutputRetraction>* retracted) {
  ASSIGN_OR_RETURN(std::vector<OutputFile> files, ListOutputFiles(output_dir_, include_pending_));
  std::unordered_map<std::string_view, Followed*> by_name;
  for (auto& f : followed_) {
    f->listed = false;
    by_name.emplace(f->file.rel, f.get());
  }
  for (OutputFile& file : files) {
    auto it = by_name.find(file.rel);
    if (it != by_name.end()) {
      it->second->listed = true;
      continue;
    }
    std::string path = JoinPath(output_dir_, file.rel);
    followed_.push_back(std::unique_ptr<Followed>(
        new Followed{std::move(file), LogTailer(std::move(path)), true, false, {}, 0}));
  }
  // A pending file gone from the listing was committed (its records come back from the
  // committed file) or aborted; either way it is done. A committed one gone takes back all
  // it held.
  for (const auto& f : followed_) {
    if (!f->listed && f->file.committed && !f->record_crcs.empty()) {
      retracted->push_back({f->file.rel, 0});
    }
  }
  std::erase_if(followed_, [](const std::unique_ptr<Followed>& f) { return !f->listed; });
  for (auto& f : followed_) {
    const std::string& path = f->tailer.path();
    if (f->file.committed) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) {
        const bool replaced = f->inode != 0 && st.st_ino != f->inode;
        f->inode = st.st_ino;
        if (replaced || static_cast<uint64_t>(st.st_size) < f->tailer.offset()) {
          RETURN_IF_ERROR(Rescan(*f, retracted));
        }
      } else if (errno != ENOENT) {
        return Status::IoError("stat " + path, errno);
      }
    }
    if (f->done) continue;
    std::vector<LogRecord> records;
    RETURN_IF_ERROR(f->tailer.Poll(&records));
    RETURN_IF_ERROR(AppendEntries(path, f->file, records, out));
    if (f->file.committed) {
      for (const LogRecord& r : records) f->record_crcs.push_back(crc32c::Value(r.payload));
    }
    RETURN_IF_ERROR(CheckDamage(path, f->file, f->tailer.damage()));
    if (f->file.sealed) {
      Result<uint64_t> size = FileSize(path);
      f->done = size.ok() && *size == f->tailer.offset();
    }
  }
  return Status::Ok();
}

}  // namespace faultline::runtime
