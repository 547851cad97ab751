// The reader's contract under damage: after appending random records and then cutting the file
// at a random byte or flipping a random byte, the reader yields exactly the records that were
// fully written before the damage, in order, and reports the damage with its offset.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/file.h"
#include "base/record_log.h"
#include "base/test_util.h"

namespace faultline {
namespace {

struct Written {
  std::vector<std::string> payloads;
  std::vector<uint64_t> ends;  // end offset of each frame
  std::string bytes;
};

Written WriteRecords(const std::string& path, const std::vector<std::string>& payloads) {
  auto w = RecordLogWriter::Open(path, SyncPolicy{.every_records = 7});
  RC_ASSERT(w.ok());
  Written out;
  out.payloads = payloads;
  for (const auto& p : payloads) {
    RC_ASSERT(w->Append(p).ok());
    out.ends.push_back(w->offset());
  }
  RC_ASSERT(w->Close().ok());
  out.bytes = *ReadFileToString(path);
  RC_ASSERT(out.bytes.size() == (out.ends.empty() ? 0 : out.ends.back()));
  return out;
}

// Number of records wholly inside the first `n` bytes.
size_t WholeBefore(const Written& w, uint64_t n) {
  size_t k = 0;
  while (k < w.ends.size() && w.ends[k] <= n) ++k;
  return k;
}

const auto kPayloads = rc::gen::container<std::vector<std::string>>(
    rc::gen::container<std::string>(rc::gen::arbitrary<char>()));

RC_GTEST_PROP(RecordLogProperty, TruncationYieldsExactlyTheWholeRecords, ()) {
  TempDir dir;
  std::string path = dir.File("log");
  auto payloads = *rc::gen::nonEmpty(kPayloads);
  Written w = WriteRecords(path, payloads);
  uint64_t cut = *rc::gen::inRange<uint64_t>(0, w.bytes.size() + 1);
  RC_ASSERT(WriteFileAtomic(path, w.bytes.substr(0, cut)).ok());

  auto scan = ReadLog(path);
  RC_ASSERT(scan.ok());
  size_t whole = WholeBefore(w, cut);
  RC_ASSERT(scan->records.size() == whole);
  for (size_t i = 0; i < whole; ++i) RC_ASSERT(scan->records[i].payload == w.payloads[i]);
  uint64_t end_of_whole = whole == 0 ? 0 : w.ends[whole - 1];
  RC_ASSERT(scan->valid_end == end_of_whole);
  if (cut == end_of_whole) {
    RC_ASSERT(!scan->damage.has_value());
  } else {
    RC_ASSERT(scan->damage.has_value());
    RC_ASSERT(scan->damage->offset == end_of_whole);
    RC_ASSERT(scan->damage->torn_tail);
  }
}

RC_GTEST_PROP(RecordLogProperty, AFlippedByteEndsTheLogAtItsFrame, ()) {
  TempDir dir;
  std::string path = dir.File("log");
  auto payloads = *rc::gen::nonEmpty(kPayloads);
  Written w = WriteRecords(path, payloads);
  size_t at = *rc::gen::inRange<size_t>(0, w.bytes.size());
  auto mask = static_cast<char>(*rc::gen::inRange(1, 256));
  std::string damaged = w.bytes;
  damaged[at] = static_cast<char>(damaged[at] ^ mask);
  RC_ASSERT(WriteFileAtomic(path, damaged).ok());

  auto scan = ReadLog(path);
  RC_ASSERT(scan.ok());
  size_t hit = WholeBefore(w, at);  // index of the frame holding the flipped byte
  uint64_t frame_start = hit == 0 ? 0 : w.ends[hit - 1];
  // Every record before the damaged frame comes back intact and nothing at or after it.
  RC_ASSERT(scan->records.size() == hit);
  for (size_t i = 0; i < hit; ++i) RC_ASSERT(scan->records[i].payload == w.payloads[i]);
  RC_ASSERT(scan->damage.has_value());
  RC_ASSERT(scan->damage->offset == frame_start);
  RC_ASSERT(scan->valid_end == frame_start);
}

RC_GTEST_PROP(RecordLogProperty, TailerSeesTheSameRecordsAsTheReader, ()) {
  TempDir dir;
  std::string path = dir.File("log");
  auto payloads = *kPayloads;
  Written w = WriteRecords(path, payloads);
  size_t batch = *rc::gen::inRange<size_t>(1, 10);
  LogTailer tailer(path);
  std::vector<LogRecord> got;
  for (size_t polls = 0; polls <= payloads.size(); ++polls)
    RC_ASSERT(tailer.Poll(&got, batch).ok());
  RC_ASSERT(got.size() == payloads.size());
  for (size_t i = 0; i < got.size(); ++i) RC_ASSERT(got[i].payload == payloads[i]);
  RC_ASSERT(!tailer.damage().has_value());
}

}  // namespace
}  // namespace faultline
