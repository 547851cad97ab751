// Property: a history file read in two parts at once (ReadHistoryFile, the second part by a
// thread of its own) is the history read line by line: the same events with the same key
// numbers, the same retractions (a retraction in the second part takes back deliveries of the
// first), and for a malformed line the same error on the same line number.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "base/test_util.h"
#include "checkers/history.h"
#include "checkers/synthetic_history.h"

namespace faultline::checkers {
namespace {

using Type = HistoryLine::Type;

// Every member the reader fills, as text, so that a difference names itself.
std::string Describe(const History& h) {
  std::string s = "lines " + std::to_string(h.lines) + " end " + std::to_string(h.end_t) +
                  " counted " + std::to_string(h.counted_outputs) + " failed " +
                  std::to_string(h.failed_sends) + " unknown " + std::to_string(h.unknown_sends) +
                  " meta " + h.meta.mode + "/" + h.meta.job + "/" + h.meta.scenario + "\n";
  for (const std::string& k : h.keys) s += "key " + k + "\n";
  for (const InputEvent& e : h.inputs) {
    s += "in " + std::to_string(e.t) + " " + std::to_string(e.id) + " " + std::to_string(e.offset) +
         " " + std::to_string(e.event_time) + " " + std::to_string(e.key) + " " +
         std::to_string(e.partition) + " " + std::to_string(static_cast<int>(e.status)) + "\n";
  }
  for (const SendError& e : h.send_errors) s += "err " + std::to_string(e.input) + e.error + "\n";
  for (const OutputEvent& e : h.outputs) {
    s += "out " + std::to_string(e.t) + " " + std::to_string(e.id) + " " + std::to_string(e.count) +
         " " + std::to_string(e.key) + " " + std::to_string(e.committed) +
         std::to_string(e.retracted) + "\n";
  }
  for (const WindowEvent& e : h.windows) {
    s += "win " + std::to_string(e.t) + " " + std::to_string(e.start) + " " +
         std::to_string(e.count) + " " + std::to_string(e.key) + " " + std::to_string(e.committed) +
         std::to_string(e.retracted) + "\n";
  }
  for (const RetractionEvent& e : h.retractions) {
    s += "retract " + std::to_string(e.t) + " " + std::to_string(e.index) + " " +
         std::to_string(e.window) + "\n";
  }
  for (const FaultInterval& f : h.faults) {
    s += "fault " + f.fault + " " + f.target + " " + std::to_string(f.begin) + " " +
         std::to_string(f.end) + "\n";
  }
  for (const CheckpointEvent& c : h.checkpoints) s += "chk " + std::to_string(c.id) + "\n";
  for (const PhaseEvent& p : h.phases) s += "phase " + p.phase + "\n";
  return s;
}

RC_GTEST_PROP(HistoryProperty, ReadingInTwoPartsIsReadingLineByLine, ()) {
  SyntheticOptions o;
  o.job = *rc::gen::element(JobKind::kCount, JobKind::kWindowCount, JobKind::kDelivery);
  o.mode = *rc::gen::element(Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce);
  o.seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
  o.inputs = *rc::gen::inRange<int64_t>(0, 300);
  o.keys = *rc::gen::inRange<uint32_t>(1, 40);
  std::vector<HistoryLine> lines = GenerateSyntheticLines(o);
  // Committed deliveries from a few sources, and retractions of them anywhere after.
  for (HistoryLine& l : lines) {
    if (l.type == Type::kOutput || l.type == Type::kWindow) {
      l.source = *rc::gen::inRange<uint32_t>(1, 4);
    }
  }
  const int retractions = *rc::gen::inRange(0, 4);
  for (int r = 0; r < retractions && !lines.empty(); ++r) {
    HistoryLine back;
    back.type = Type::kRetraction;
    back.source = *rc::gen::inRange<uint32_t>(1, 4);
    back.kept = *rc::gen::inRange<int64_t>(0, 50);
    const size_t at = *rc::gen::inRange<size_t>(0, lines.size());
    back.t = lines[at].t;
    lines.insert(lines.begin() + static_cast<ptrdiff_t>(at), back);
  }
  std::string text = FormatHistory(lines, o);
  const bool corrupt = *rc::gen::arbitrary<bool>();
  if (corrupt && !text.empty()) {
    // Cut one line short: a truncated event somewhere in the file.
    const size_t at = *rc::gen::inRange<size_t>(0, text.size());
    const size_t line_end = text.find('\n', at);
    if (line_end != std::string::npos && line_end > at) text.erase(at, line_end - at);
  }
  if (*rc::gen::arbitrary<bool>() && !text.empty()) text.pop_back();  // no last newline

  TempDir dir;
  const std::string path = dir.File("history.jsonl");
  RC_ASSERT(WriteFileAtomic(path, text).ok());
  auto whole = ParseHistory(text);
  auto parts = ReadHistoryFile(path, /*two_part_min_bytes=*/0);
  RC_ASSERT(whole.ok() == parts.ok());
  if (!whole.ok()) {
    RC_ASSERT(parts.status().message() == path + ": " + whole.status().message());
    return;
  }
  RC_ASSERT(Describe(*parts) == Describe(*whole));
}

}  // namespace
}  // namespace faultline::checkers
