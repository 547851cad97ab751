#include "checkers/synthetic_history.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <queue>

#include "base/file.h"
#include "base/rng.h"

namespace faultline::checkers {
namespace {

using Type = HistoryLine::Type;

constexpr std::string_view kFaultKinds[] = {"kill", "partition", "pause"};
constexpr std::string_view kTargets[] = {"worker-1", "worker-2", "coordinator"};
constexpr int64_t kNanosPerMilli = 1'000'000;

struct FaultSpan {
  int64_t begin;
  int64_t end;
};

// A discrete-event simulation of a clean run: lines are queued with their time and released
// in time order (ties in push order) once the simulation has moved past them.
class Generator {
 public:
  Generator(const SyntheticOptions& options, const std::function<void(const HistoryLine&)>& sink)
      : o_(options), sink_(sink), rng_(options.seed) {}

  void Run() {
    HistoryLine meta;
    sink_(meta);
    Push(Phase(0, "setup"));
    Push(Phase(1, "generate"));
    PlanFaults();
    std::vector<int64_t> offsets(static_cast<size_t>(std::max(o_.partitions, 1)), 0);
    std::vector<int64_t> counts(o_.keys, 0);
    last_delivery_.assign(o_.keys, 0);
    int64_t t = 0;
    for (int64_t i = 0; i < o_.inputs; ++i) {
      t = 2 * kNanosPerMilli + i * o_.interval_ns +
          static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(o_.interval_ns / 2 + 1)));
      Release(t);
      HistoryLine in;
      in.type = Type::kInput;
      in.t = t;
      in.id = static_cast<uint64_t>(i + 1);
      in.key = static_cast<uint32_t>(rng_.Uniform(o_.keys));
      in.partition = static_cast<int32_t>(rng_.Uniform(offsets.size()));
      in.offset = offsets[static_cast<size_t>(in.partition)]++;
      in.event_time = t / kNanosPerMilli - static_cast<int64_t>(rng_.Uniform(o_.disorder + 1));
      Push(in);
      if (o_.job != JobKind::kWindowCount) {
        HistoryLine out;
        out.type = Type::kOutput;
        out.id = in.id;
        out.key = in.key;
        out.count = ++counts[in.key];
        Deliver(out, Delay(t, &last_delivery_[in.key]));
      } else {
        AddToWindow(in);
      }
    }
    if (o_.job == JobKind::kWindowCount) FireWindows(INT64_MAX, t);
    Push(Phase(t + 1, "heal"));
    PushCheckpointsUntil(last_commit_);
    Release(INT64_MAX);
    Push(Phase(last_t_ + 1, "quiesce"));
    Push(Phase(last_t_ + 2, "final-read"));
    Push(Phase(last_t_ + 3, "done"));
    Release(INT64_MAX);
  }

 private:
  struct Pending {
    int64_t t;
    uint64_t seq;
    HistoryLine line;
    bool operator>(const Pending& other) const {
      return t != other.t ? t > other.t : seq > other.seq;
    }
  };

  static HistoryLine Phase(int64_t t, std::string_view phase) {
    HistoryLine line;
    line.type = Type::kPhase;
    line.t = t;
    line.phase = phase;
    return line;
  }

  void Push(const HistoryLine& line) { queue_.push({line.t, seq_++, line}); }

  // Emits every queued line older than `t` (nothing queued later can be older).
  void Release(int64_t t) {
    if (t != INT64_MAX) PushCheckpointsUntil(t - 1);
    while (!queue_.empty() && queue_.top().t < t) {
      last_t_ = std::max(last_t_, queue_.top().t);
      sink_(queue_.top().line);
      queue_.pop();
    }
  }

  void PlanFaults() {
    const int64_t span = o_.inputs * o_.interval_ns * 9 / 10;
    for (int f = 0; f < o_.faults && span > 0; ++f) {
      const int64_t segment = span / o_.faults;
      const int64_t begin =
          2 * kNanosPerMilli + f * segment +
          static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(segment / 2 + 1)));
      const int64_t end = begin + std::max<int64_t>(segment / 5, 1);
      faults_.push_back({begin, end});
      HistoryLine line;
      line.type = Type::kFault;
      line.name = kFaultKinds[rng_.Uniform(std::size(kFaultKinds))];
      line.target = kTargets[rng_.Uniform(std::size(kTargets))];
      line.t = begin;
      line.phase = "begin";
      Push(line);
      line.t = end;
      line.phase = "end";
      Push(line);
    }
  }

  const FaultSpan* FaultAt(int64_t t) const {
    for (const FaultSpan& f : faults_) {
      if (t >= f.begin && t < f.end) return &f;
    }
    return nullptr;
  }

  // When something ready at `t` is delivered: after the processing latency, after any fault
  // in progress, and never before the previous delivery through `last`.
  int64_t Delay(int64_t t, int64_t* last) {
    int64_t d = t + o_.latency_ns + static_cast<int64_t>(rng_.Uniform(o_.latency_ns + 1));
    if (const FaultSpan* f = FaultAt(d)) d = f->end + o_.latency_ns;
    d = std::max(d, *last);
    *last = d;
    return d;
  }

  // The first checkpoint completion at or after `t` (checkpoints due in a fault do not complete).
  int64_t CommitTime(int64_t t) const {
    const int64_t c = o_.checkpoint_interval_ns;
    int64_t k = std::max<int64_t>(1, (t + c - 1) / c);
    while (FaultAt(k * c) != nullptr) ++k;
    return k * c;
  }

  void PushCheckpointsUntil(int64_t t) {
    if (o_.mode != Mode::kExactlyOnce) return;
    const int64_t c = o_.checkpoint_interval_ns;
    for (; next_checkpoint_ * c <= t; ++next_checkpoint_) {
      if (FaultAt(next_checkpoint_ * c) != nullptr) continue;
      HistoryLine line;
      line.type = Type::kRuntime;
      line.t = next_checkpoint_ * c;
      line.name = "checkpoint-completed";
      line.checkpoint = next_checkpoint_;
      Push(line);
    }
  }

  // Queues `line` as delivered at `d`: committed then, or on the next checkpoint in
  // exactly-once (seen uncommitted first when asked).
  void Deliver(HistoryLine line, int64_t d) {
    if (o_.mode != Mode::kExactlyOnce) {
      line.t = d;
      Push(line);
      return;
    }
    if (o_.uncommitted_view) {
      line.t = d;
      line.committed = false;
      Push(line);
    }
    line.t = CommitTime(d);
    line.committed = true;
    last_commit_ = std::max(last_commit_, line.t);
    Push(line);
  }

  void AddToWindow(const HistoryLine& in) {
    const int64_t size = o_.window_size;
    int64_t start = in.event_time - ((in.event_time % size) + size) % size;
    auto& counts = open_[start];
    if (counts.empty()) counts.assign(o_.keys, 0);
    ++counts[in.key];
    max_event_time_ = std::max(max_event_time_, in.event_time);
    FireWindows(max_event_time_ - o_.disorder, in.t);
  }

  // Emits the result of every open window that ends at or before `watermark`.
  void FireWindows(int64_t watermark, int64_t now) {
    while (!open_.empty() &&
           (watermark == INT64_MAX || open_.begin()->first + o_.window_size <= watermark)) {
      const int64_t start = open_.begin()->first;
      const int64_t d = Delay(now, &last_fire_);
      for (uint32_t key = 0; key < o_.keys; ++key) {
        if (open_.begin()->second[key] == 0) continue;
        HistoryLine w;
        w.type = Type::kWindow;
        w.key = key;
        w.start = start;
        w.end = start + o_.window_size;
        w.count = open_.begin()->second[key];
        Deliver(w, d);
      }
      open_.erase(open_.begin());
    }
  }

  const SyntheticOptions& o_;
  const std::function<void(const HistoryLine&)>& sink_;
  Rng rng_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  int64_t last_t_ = 0;
  int64_t last_commit_ = 0;
  int64_t next_checkpoint_ = 1;
  int64_t last_fire_ = 0;
  int64_t max_event_time_ = INT64_MIN;
  std::vector<FaultSpan> faults_;
  std::vector<int64_t> last_delivery_;
  std::map<int64_t, std::vector<int64_t>> open_;  // window start -> count per key
};

template <typename Int>
void AppendInt(Int v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

template <typename Int>
void AppendField(std::string_view name, Int v, std::string* out) {
  out->append(",\"").append(name).append("\":");
  AppendInt(v, out);
}

void AppendField(std::string_view name, std::string_view v, std::string* out) {
  out->append(",\"").append(name).append("\":\"").append(v).append("\"");
}

void AppendKey(uint32_t key, std::string* out) {
  out->append(",\"key\":\"k");
  AppendInt(key, out);
  out->append("\"");
}

void AppendSource(uint32_t source, std::string* out) {
  if (source == 0) return;
  out->append(",\"source\":\"seg-");
  AppendInt(source, out);
  out->push_back('"');
}

}  // namespace

void GenerateSyntheticHistory(const SyntheticOptions& options,
                              const std::function<void(const HistoryLine&)>& sink) {
  Generator(options, sink).Run();
}

std::vector<HistoryLine> GenerateSyntheticLines(const SyntheticOptions& options) {
  std::vector<HistoryLine> lines;
  GenerateSyntheticHistory(options, [&](const HistoryLine& line) { lines.push_back(line); });
  return lines;
}

void AppendHistoryLine(const HistoryLine& line, const SyntheticOptions& options, std::string* out) {
  if (line.type == Type::kMeta) {
    out->append("{\"type\":\"meta\",\"scenario\":\"synthetic\"");
    AppendField("mode", std::string_view(ModeName(options.mode)), out);
    AppendField("job", JobKindName(options.job), out);
    AppendField("seed", options.seed, out);
    if (options.job == JobKind::kWindowCount) AppendField("window_size", options.window_size, out);
    out->append("}\n");
    return;
  }
  out->append("{\"t\":");
  AppendInt(line.t, out);
  switch (line.type) {
    case Type::kInput:
      out->append(",\"type\":\"input\"");
      AppendField("id", line.id, out);
      AppendKey(line.key, out);
      if (line.partition != kNoPartition) {
        AppendField("partition", line.partition, out);
        AppendField("offset", line.offset, out);
      }
      AppendField("event_time", line.event_time, out);
      out->append(",\"value\":1");
      if (line.status != SendStatus::kOk) AppendField("status", SendStatusName(line.status), out);
      break;
    case Type::kOutput:
      out->append(",\"type\":\"output\"");
      AppendField("id", line.id, out);
      AppendKey(line.key, out);
      if (options.job != JobKind::kDelivery) AppendField("count", line.count, out);
      out->append(line.committed ? ",\"committed\":true" : ",\"committed\":false");
      AppendSource(line.source, out);
      break;
    case Type::kWindow:
      out->append(",\"type\":\"window\"");
      AppendKey(line.key, out);
      AppendField("start", line.start, out);
      AppendField("end", line.end, out);
      AppendField("count", line.count, out);
      out->append(line.committed ? ",\"committed\":true" : ",\"committed\":false");
      AppendSource(line.source, out);
      break;
    case Type::kRetraction:
      out->append(",\"type\":\"retraction\"");
      AppendSource(line.source, out);
      AppendField("kept", line.kept, out);
      break;
    case Type::kFault:
      out->append(",\"type\":\"fault\"");
      AppendField("fault", line.name, out);
      AppendField("target", line.target, out);
      AppendField("phase", line.phase, out);
      break;
    case Type::kRuntime:
      out->append(",\"type\":\"runtime\",\"node\":\"coordinator\"");
      AppendField("event", line.name, out);
      AppendField("checkpoint", line.checkpoint, out);
      break;
    case Type::kPhase:
      out->append(",\"type\":\"phase\"");
      AppendField("phase", line.phase, out);
      break;
    case Type::kMeta:
      break;
  }
  out->append("}\n");
}

std::string FormatHistory(const std::vector<HistoryLine>& lines, const SyntheticOptions& options) {
  std::string out;
  for (const HistoryLine& line : lines) AppendHistoryLine(line, options, &out);
  return out;
}

Result<int64_t> WriteSyntheticHistory(const std::string& path, const SyntheticOptions& options) {
  ASSIGN_OR_RETURN(AppendFile file, AppendFile::Open(path));
  RETURN_IF_ERROR(file.Truncate(0));
  std::string buf;
  int64_t lines = 0;
  Status status;
  GenerateSyntheticHistory(options, [&](const HistoryLine& line) {
    ++lines;
    AppendHistoryLine(line, options, &buf);
    if (buf.size() >= (1 << 20) && status.ok()) {
      status = file.Append(buf);
      buf.clear();
    }
  });
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(file.Append(buf));
  RETURN_IF_ERROR(file.Close());
  return lines;
}

}  // namespace faultline::checkers
