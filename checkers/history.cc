#include "checkers/history.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "checkers/registry.h"

namespace faultline::checkers {
namespace {

// `s` equals the literal `lit`, whose length the caller has matched: a few compares, not a
// library call.
template <size_t N>
bool Is(std::string_view s, const char (&lit)[N]) {
  return std::memcmp(s.data(), lit, N - 1) == 0;
}

uint64_t HashKey(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, s.data() + i, 8);
    h = (h ^ chunk) * 0xFF51AFD7ED558CCDULL;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ULL;
  return h ^ (h >> 29);
}

}  // namespace

// The members a known line type may carry; the rest are ignored.
struct HistoryReader::Fields {
  const JsonMember* type = nullptr;
  const JsonMember* t = nullptr;
  const JsonMember* id = nullptr;
  const JsonMember* key = nullptr;
  const JsonMember* partition = nullptr;
  const JsonMember* offset = nullptr;
  const JsonMember* event_time = nullptr;
  const JsonMember* count = nullptr;
  const JsonMember* committed = nullptr;
  const JsonMember* start = nullptr;
  const JsonMember* end = nullptr;
  const JsonMember* fault = nullptr;
  const JsonMember* target = nullptr;
  const JsonMember* phase = nullptr;
  const JsonMember* event = nullptr;
  const JsonMember* checkpoint = nullptr;
  const JsonMember* mode = nullptr;
  const JsonMember* job = nullptr;
  const JsonMember* scenario = nullptr;
  const JsonMember* seed = nullptr;
  const JsonMember* window_size = nullptr;
  const JsonMember* fault_id = nullptr;
  const JsonMember* error = nullptr;
  const JsonMember* status = nullptr;
  const JsonMember* ack_t = nullptr;
  const JsonMember* system = nullptr;
  const JsonMember* checks = nullptr;
  const JsonMember* source = nullptr;
  const JsonMember* kept = nullptr;
  const JsonMember* newest = nullptr;
  const JsonMember* rollback = nullptr;

  void Set(std::string_view n, const JsonMember* m) {
    switch (n.size()) {
      case 1:
        if (n[0] == 't') t = m;
        break;
      case 2:
        if (Is(n, "id")) id = m;
        break;
      case 3:
        if (Is(n, "key"))
          key = m;
        else if (Is(n, "end"))
          end = m;
        else if (Is(n, "job"))
          job = m;
        break;
      case 4:
        if (Is(n, "type"))
          type = m;
        else if (Is(n, "mode"))
          mode = m;
        else if (Is(n, "seed"))
          seed = m;
        else if (Is(n, "kept"))
          kept = m;
        break;
      case 5:
        if (Is(n, "count"))
          count = m;
        else if (Is(n, "start"))
          start = m;
        else if (Is(n, "fault"))
          fault = m;
        else if (Is(n, "phase"))
          phase = m;
        else if (Is(n, "event"))
          event = m;
        else if (Is(n, "error"))
          error = m;
        else if (Is(n, "ack_t"))
          ack_t = m;
        break;
      case 6:
        if (Is(n, "offset"))
          offset = m;
        else if (Is(n, "target"))
          target = m;
        else if (Is(n, "status"))
          status = m;
        else if (Is(n, "system"))
          system = m;
        else if (Is(n, "checks"))
          checks = m;
        else if (Is(n, "source"))
          source = m;
        else if (Is(n, "newest"))
          newest = m;
        break;
      case 8:
        if (Is(n, "scenario"))
          scenario = m;
        else if (Is(n, "fault_id"))
          fault_id = m;
        else if (Is(n, "rollback"))
          rollback = m;
        break;
      case 9:
        if (Is(n, "partition"))
          partition = m;
        else if (Is(n, "committed"))
          committed = m;
        break;
      case 10:
        if (Is(n, "event_time"))
          event_time = m;
        else if (Is(n, "checkpoint"))
          checkpoint = m;
        break;
      case 11:
        if (Is(n, "window_size")) window_size = m;
        break;
      default:
        break;
    }
  }
};

namespace {

constexpr uint32_t kWindowBit = 0x80000000u;  // in by_source_: the delivery is a window

Status Missing(std::string_view type, const char* name) {
  return Status::Corruption(std::string(type) + " line has no \"" + name + "\"");
}

Status TooManyKeys() {
  return Status::Corruption("more than " + std::to_string(kMaxKeys) + " distinct keys");
}

Status Mistyped(std::string_view type, const char* name, const char* expected) {
  return Status::Corruption(std::string(type) + " line: \"" + name + "\" must be " + expected);
}

// An optional member that is not there: absent, or null.
bool Absent(const JsonMember* m) { return m == nullptr || m->kind == JsonMember::Kind::kNull; }

// Fast accessors for the hot lines: the value if the member is there with the right type.
bool IntOf(const JsonMember* m, int64_t* out) {
  if (m != nullptr && m->is_int) {
    *out = m->int_value;
    return true;
  }
  return m != nullptr && m->kind == JsonMember::Kind::kNumber && ParseJsonInt64(m->raw, out);
}

bool IdOf(const JsonMember* m, uint64_t* out) {
  if (m != nullptr && m->is_int && m->int_value >= 0) {
    *out = static_cast<uint64_t>(m->int_value);
    return true;
  }
  return m != nullptr && m->kind == JsonMember::Kind::kNumber && ParseJsonUint64(m->raw, out);
}

// A send status spelled without escapes; the slow path decodes the rest.
bool SendStatusOf(const JsonMember* m, SendStatus* out) {
  if (m->kind != JsonMember::Kind::kString || m->escaped) return false;
  if (auto status = ParseSendStatus(m->raw)) {
    *out = *status;
    return true;
  }
  return false;
}

// Optional boolean, true when absent.
bool CommittedOf(const JsonMember* m, bool* out) {
  *out = m == nullptr || m->kind != JsonMember::Kind::kFalse;
  return m == nullptr || m->kind == JsonMember::Kind::kTrue || m->kind == JsonMember::Kind::kFalse;
}

// The Status-returning accessors name the member and the line type in their errors.
Status GetInt(const JsonMember* m, std::string_view type, const char* name, int64_t* out) {
  if (IntOf(m, out)) return Status::Ok();
  if (m == nullptr) return Missing(type, name);
  if (m->kind != JsonMember::Kind::kNumber || !ParseJsonInt64(m->raw, out)) {
    return Mistyped(type, name, "an integer");
  }
  return Status::Ok();
}

template <typename T>
Status GetIntAs(const JsonMember* m, std::string_view type, const char* name, T* out) {
  int64_t v;
  RETURN_IF_ERROR(GetInt(m, type, name, &v));
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
    return Mistyped(type, name, "an integer in range");
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status GetId(const JsonMember* m, std::string_view type, uint64_t* out) {
  if (IdOf(m, out)) return Status::Ok();
  if (m == nullptr) return Missing(type, "id");
  if (m->kind != JsonMember::Kind::kNumber || !ParseJsonUint64(m->raw, out)) {
    return Mistyped(type, "id", "a non-negative integer");
  }
  return Status::Ok();
}

Status GetCommitted(const JsonMember* m, std::string_view type, bool* out) {
  return CommittedOf(m, out) ? Status::Ok() : Mistyped(type, "committed", "true or false");
}

// The text of a member: strings decoded, any other value as its JSON text.
std::string Text(const JsonMember* m, std::string* scratch) {
  if (m == nullptr) return "";
  if (m->kind != JsonMember::Kind::kString) return std::string(m->raw);
  if (!m->escaped) return std::string(m->raw);
  DecodeJsonString(m->raw, scratch);
  return *scratch;
}

Status GetString(const JsonMember* m, std::string_view type, const char* name, std::string* scratch,
                 std::string* out) {
  if (m == nullptr) return Missing(type, name);
  if (m->kind != JsonMember::Kind::kString) return Mistyped(type, name, "a string");
  *out = Text(m, scratch);
  return Status::Ok();
}

Status GetSendStatus(const JsonMember* m, std::string* scratch, SendStatus* out) {
  constexpr const char* kExpected = "\"ok\", \"fail\" or \"unknown\"";
  if (m->kind != JsonMember::Kind::kString) return Mistyped("input", "status", kExpected);
  const std::string name = Text(m, scratch);
  if (auto status = ParseSendStatus(name)) {
    *out = *status;
    return Status::Ok();
  }
  return Status::Corruption(std::string("input line: \"status\" must be ") + kExpected +
                            ", not \"" + name + "\"");
}

// The meta line's `checks`: an array of checker names, each one the registry knows.
Status GetChecks(const JsonMember* m, std::vector<std::string>* out) {
  nlohmann::json list = nlohmann::json::parse(m->raw, nullptr, /*allow_exceptions=*/false);
  if (m->kind != JsonMember::Kind::kArray || !list.is_array()) {
    return Mistyped("meta", "checks", "an array of checker names");
  }
  for (const nlohmann::json& name : list) {
    if (!name.is_string()) return Mistyped("meta", "checks", "an array of checker names");
    if (FindChecker(name.get<std::string>()) == nullptr) {
      std::string known;
      for (const std::string& n : CheckerNames()) known += (known.empty() ? "" : ", ") + n;
      return Status::Corruption("meta line: \"checks\" names an unknown checker \"" +
                                name.get<std::string>() + "\" (known: " + known + ")");
    }
    out->push_back(name.get<std::string>());
  }
  return Status::Ok();
}

}  // namespace

std::optional<JobKind> ParseJobKind(std::string_view name) {
  if (name == "count") return JobKind::kCount;
  if (name == "window-count" || name == "window") return JobKind::kWindowCount;
  if (name == "delivery") return JobKind::kDelivery;
  return std::nullopt;
}

std::string_view JobKindName(JobKind job) {
  switch (job) {
    case JobKind::kCount:
      return "count";
    case JobKind::kWindowCount:
      return "window-count";
    case JobKind::kDelivery:
      return "delivery";
  }
  return "count";
}

bool History::HasPhase(std::string_view phase) const {
  return std::any_of(phases.begin(), phases.end(),
                     [&](const PhaseEvent& p) { return p.phase == phase; });
}

uint32_t HistoryReader::InternKey(std::string_view key) {
  if (2 * (history_.keys.size() + 1) > key_slots_.size()) {
    key_slots_.assign(std::max<size_t>(64, 4 * key_slots_.size()), kNoKey);
    for (uint32_t k = 0; k < history_.keys.size(); ++k) {
      size_t s = key_hashes_[k] & (key_slots_.size() - 1);
      while (key_slots_[s] != kNoKey) s = (s + 1) & (key_slots_.size() - 1);
      key_slots_[s] = k;
    }
  }
  const uint64_t h = HashKey(key);
  size_t s = h & (key_slots_.size() - 1);
  for (; key_slots_[s] != kNoKey; s = (s + 1) & (key_slots_.size() - 1)) {
    uint32_t k = key_slots_[s];
    if (key_hashes_[k] == h && history_.keys[k] == key) return k;
  }
  auto index = static_cast<uint32_t>(history_.keys.size());
  if (index == kMaxKeys) return kNoKey;
  key_slots_[s] = index;
  history_.keys.emplace_back(key);
  key_hashes_.push_back(h);
  return index;
}

Status HistoryReader::Feed(std::string_view data) {
  size_t pos = 0;
  if (!pending_.empty()) {
    const void* nl = std::memchr(data.data(), '\n', data.size());
    if (nl == nullptr) {
      pending_.append(data);
      return Status::Ok();
    }
    pos = static_cast<const char*>(nl) - data.data() + 1;
    pending_.append(data.substr(0, pos - 1));
    std::string line = std::move(pending_);
    pending_.clear();
    RETURN_IF_ERROR(ParseLine(line));
  }
  while (pos < data.size()) {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (nl == nullptr) {
      pending_.assign(data.substr(pos));
      break;
    }
    size_t next = static_cast<const char*>(nl) - data.data();
    RETURN_IF_ERROR(ParseLine(data.substr(pos, next - pos)));
    pos = next + 1;
  }
  return Status::Ok();
}

void HistoryReader::ReserveFor(uint64_t total_bytes, uint64_t bytes_so_far) {
  if (bytes_so_far == 0 || total_bytes <= bytes_so_far) return;
  const double scale = 1.05 * static_cast<double>(total_bytes) / static_cast<double>(bytes_so_far);
  auto reserve = [scale](auto* v) {
    v->reserve(static_cast<size_t>(scale * static_cast<double>(v->size())) + 16);
  };
  reserve(&history_.inputs);
  reserve(&history_.outputs);
  reserve(&history_.windows);
}

Status HistoryReader::FeedEnd() {
  if (pending_.empty()) return Status::Ok();
  std::string line = std::move(pending_);
  pending_.clear();
  return ParseLine(line);
}

Result<History> HistoryReader::Finish() {
  RETURN_IF_ERROR(FeedEnd());
  auto& h = history_;
  h.faults = PairFaultEdges(std::move(fault_edges_));
  fault_edges_.clear();
  std::stable_sort(h.checkpoints.begin(), h.checkpoints.end(),
                   [](const CheckpointEvent& a, const CheckpointEvent& b) { return a.t < b.t; });
  return std::move(history_);
}

Status HistoryReader::ParseLine(std::string_view line) {
  uint64_t line_no = ++history_.lines;
  if ((line.empty() || line[0] != '{') &&
      line.find_first_not_of(" \t\r") == std::string_view::npos) {
    return Status::Ok();  // blank
  }
  members_.clear();
  Fields f;
  Status s = ScanJsonObjectLine(line, &members_);
  if (s.ok()) {
    for (const JsonMember& m : members_) {
      if (!m.name_escaped) {
        f.Set(m.name, &m);
      } else {
        DecodeJsonString(m.name, &scratch_);
        f.Set(scratch_, &m);
      }
    }
    s = ParseFields(f);
  }
  if (!s.ok()) {
    failed_line_ = line_no;
    failed_message_ = s.message();
    return Status::Corruption("line " + std::to_string(line_no) + ": " + s.message());
  }
  return Status::Ok();
}

bool HistoryReader::KeyOf(const JsonMember* m, uint32_t* out) {
  if (m == nullptr) return false;
  if (m->kind == JsonMember::Kind::kString && !m->escaped) {
    *out = InternKey(m->raw);
  } else if (m->kind == JsonMember::Kind::kString || m->kind == JsonMember::Kind::kNumber) {
    *out = InternKey(Text(m, &scratch_));
  } else {
    return false;
  }
  return *out != kNoKey;
}

Status HistoryReader::GetKey(const JsonMember* m, std::string_view type, uint32_t* out) {
  *out = 0;  // KeyOf leaves kNoKey only when the key table is full
  if (KeyOf(m, out)) return Status::Ok();
  if (m == nullptr) return Missing(type, "key");
  if (*out == kNoKey) return TooManyKeys();
  return Mistyped(type, "key", "a string");
}

Status HistoryReader::ParseInput(const Fields& f) {
  InputEvent e{0, 0, kNoOffset, 0, kNoPartition, 0, SendStatus::kOk};
  int64_t partition = kNoPartition;
  int64_t ack_t;
  uint32_t key = kNoKey;
  SendStatus status = SendStatus::kOk;
  if (IntOf(f.t, &e.t) && IdOf(f.id, &e.id) && KeyOf(f.key, &key) &&
      (Absent(f.partition) ||
       (IntOf(f.partition, &partition) && partition >= INT32_MIN && partition <= INT32_MAX)) &&
      (Absent(f.offset) || IntOf(f.offset, &e.offset)) && IntOf(f.event_time, &e.event_time) &&
      (f.status == nullptr || SendStatusOf(f.status, &status)) &&
      (Absent(f.ack_t) || IntOf(f.ack_t, &ack_t))) {
    e.partition = static_cast<int32_t>(partition);
    e.key = key;
    e.status = status;
    AddInput(e, f.error);
    return Status::Ok();
  }
  // Say which member is wrong.
  constexpr std::string_view type = "input";
  RETURN_IF_ERROR(GetInt(f.t, type, "t", &e.t));
  RETURN_IF_ERROR(GetId(f.id, type, &e.id));
  RETURN_IF_ERROR(GetKey(f.key, type, &key));
  e.key = key;
  if (!Absent(f.partition)) RETURN_IF_ERROR(GetIntAs(f.partition, type, "partition", &e.partition));
  if (!Absent(f.offset)) RETURN_IF_ERROR(GetInt(f.offset, type, "offset", &e.offset));
  RETURN_IF_ERROR(GetInt(f.event_time, type, "event_time", &e.event_time));
  if (!Absent(f.ack_t)) RETURN_IF_ERROR(GetInt(f.ack_t, type, "ack_t", &ack_t));
  if (f.status != nullptr) RETURN_IF_ERROR(GetSendStatus(f.status, &scratch_, &status));
  e.status = status;
  AddInput(e, f.error);  // a status spelled with escapes
  return Status::Ok();
}

void HistoryReader::AddInput(const InputEvent& e, const JsonMember* error) {
  history_.end_t = std::max(history_.end_t, e.t);
  if (e.status != SendStatus::kOk) {
    ++(e.status == SendStatus::kFail ? history_.failed_sends : history_.unknown_sends);
    if (!Absent(error)) {
      history_.send_errors.push_back(
          {static_cast<uint32_t>(history_.inputs.size()), Text(error, &scratch_)});
    }
  }
  history_.inputs.push_back(e);
}

Status HistoryReader::ParseOutput(const Fields& f) {
  OutputEvent e{0, 0, kNoCount, kNoKey, true};
  if (IntOf(f.t, &e.t) && IdOf(f.id, &e.id) && (Absent(f.count) || IntOf(f.count, &e.count)) &&
      (f.key == nullptr || KeyOf(f.key, &e.key)) && CommittedOf(f.committed, &e.committed)) {
    history_.end_t = std::max(history_.end_t, e.t);
    history_.counted_outputs += e.count != kNoCount;
    history_.outputs.push_back(e);
    return e.committed ? NoteSource(f.source, static_cast<uint32_t>(history_.outputs.size() - 1))
                       : Status::Ok();
  }
  constexpr std::string_view type = "output";
  RETURN_IF_ERROR(GetInt(f.t, type, "t", &e.t));
  RETURN_IF_ERROR(GetId(f.id, type, &e.id));
  if (!Absent(f.count)) RETURN_IF_ERROR(GetInt(f.count, type, "count", &e.count));
  if (f.key != nullptr) RETURN_IF_ERROR(GetKey(f.key, type, &e.key));
  return GetCommitted(f.committed, type, &e.committed);
}

Status HistoryReader::NoteSource(const JsonMember* source, uint32_t delivery) {
  if (Absent(source)) return Status::Ok();
  if (source->kind != JsonMember::Kind::kString) {
    return Status::Corruption("\"source\" must be a string");
  }
  std::string_view name = source->raw;
  std::string decoded;
  if (source->escaped) {
    decoded = Text(source, &scratch_);
    name = decoded;
  }
  AddDelivery(name, delivery);
  return Status::Ok();
}

void HistoryReader::AddDelivery(std::string_view source, uint32_t delivery) {
  if (defer_sources_) {
    source_ops_.push_back({DeferredSource(source), delivery});
  } else {
    by_source_.Add(source, delivery);
  }
}

uint32_t HistoryReader::DeferredSource(std::string_view name) {
  // Deliveries come in runs from one source: the last one first.
  if (last_deferred_ < deferred_sources_.size() && deferred_sources_[last_deferred_] == name) {
    return last_deferred_;
  }
  auto [it, added] = deferred_index_.try_emplace(std::string(name),
                                                 static_cast<uint32_t>(deferred_sources_.size()));
  if (added) deferred_sources_.emplace_back(name);
  last_deferred_ = it->second;
  return last_deferred_;
}

Status HistoryReader::ParseRetraction(const Fields& f, int64_t t) {
  constexpr std::string_view type = "retraction";
  std::string source;
  int64_t kept = 0;
  RETURN_IF_ERROR(GetString(f.source, type, "source", &scratch_, &source));
  RETURN_IF_ERROR(GetInt(f.kept, type, "kept", &kept));
  if (kept < 0) return Mistyped(type, "kept", "a non-negative integer");
  Retract(source, kept, t);
  return Status::Ok();
}

void HistoryReader::Retract(const std::string& source, int64_t kept, int64_t t) {
  if (defer_sources_) {
    source_ops_.push_back({DeferredSource(source), kRetractionOp});
    deferred_retractions_.push_back({kept, t});
    return;
  }
  by_source_.Retract(source, kept, [&](uint32_t delivery) {
    const bool window = (delivery & kWindowBit) != 0;
    const uint32_t index = delivery & ~kWindowBit;
    (window ? history_.windows[index].retracted : history_.outputs[index].retracted) = true;
    history_.retractions.push_back({t, index, window});
  });
}

namespace {

// Hands the whole pages within [begin, end) back to the system; what they held reads as zero.
template <typename T>
void ReleasePages(const T* begin, const T* end) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t from = (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
  const uintptr_t to = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

// Appends `from`, each element through `convert`, to `to`, releasing `from`'s pages as they
// are copied, so that the two copies are not both held: a history's events are most of the
// checker's memory (docs/benchmarks.md).
template <typename T, typename Convert>
void AppendReleasing(std::vector<T>* to, std::vector<T>* from, Convert convert) {
  static_assert(std::is_trivially_copyable_v<T>);
  to->reserve(to->size() + from->size());
  constexpr size_t kBlock = (size_t{4} << 20) / sizeof(T);
  for (size_t i = 0; i < from->size(); i += kBlock) {
    const size_t end = std::min(from->size(), i + kBlock);
    for (size_t k = i; k < end; ++k) to->push_back(convert((*from)[k]));
    ReleasePages(from->data() + i, from->data() + end);
  }
  *from = {};
}

template <typename T>
void AppendAll(std::vector<T>* to, std::vector<T>* from) {
  to->insert(to->end(), std::make_move_iterator(from->begin()),
             std::make_move_iterator(from->end()));
  *from = {};
}

}  // namespace

Status HistoryReader::Append(HistoryReader&& later, const Status& later_status) {
  History& h = history_;
  History& l = later.history_;
  std::vector<uint32_t> keys(l.keys.size());
  for (size_t k = 0; k < l.keys.size(); ++k) {
    keys[k] = InternKey(l.keys[k]);
    if (keys[k] == kNoKey) return TooManyKeys();
  }
  const auto first_input = static_cast<uint32_t>(h.inputs.size());
  const auto first_output = static_cast<uint32_t>(h.outputs.size());
  const auto first_window = static_cast<uint32_t>(h.windows.size());
  AppendReleasing(&h.inputs, &l.inputs, [&](InputEvent e) {
    e.key = keys[e.key];
    return e;
  });
  AppendReleasing(&h.outputs, &l.outputs, [&](OutputEvent e) {
    if (e.key != kNoKey) e.key = keys[e.key];
    return e;
  });
  AppendReleasing(&h.windows, &l.windows, [&](WindowEvent e) {
    e.key = keys[e.key];
    return e;
  });
  for (SendError& e : l.send_errors) e.input += first_input;
  AppendAll(&h.send_errors, &l.send_errors);
  // The later part's deliveries and retractions by source, after this part's.
  size_t retraction = 0;
  for (const SourceOp& op : later.source_ops_) {
    const std::string& source = later.deferred_sources_[op.source];
    if (op.delivery == kRetractionOp) {
      const DeferredRetraction& r = later.deferred_retractions_[retraction++];
      Retract(source, r.kept, r.t);
      continue;
    }
    AddDelivery(source, (op.delivery & kWindowBit) != 0
                            ? ((op.delivery & ~kWindowBit) + first_window) | kWindowBit
                            : op.delivery + first_output);
  }
  AppendAll(&fault_edges_, &later.fault_edges_);
  AppendAll(&h.failed_faults, &l.failed_faults);
  AppendAll(&h.checkpoints, &l.checkpoints);
  AppendAll(&h.phases, &l.phases);
  AppendAll(&h.restores_back, &l.restores_back);
  if (!h.meta.present) h.meta = std::move(l.meta);  // the first meta line counts
  const uint64_t lines_before = h.lines;
  h.lines += l.lines;
  h.counted_outputs += l.counted_outputs;
  h.failed_sends += l.failed_sends;
  h.unknown_sends += l.unknown_sends;
  h.end_t = std::max(h.end_t, l.end_t);
  if (later_status.ok() || later.failed_line_ == 0) return later_status;
  failed_line_ = lines_before + later.failed_line_;
  failed_message_ = later.failed_message_;
  return Status::Corruption("line " + std::to_string(failed_line_) + ": " + failed_message_);
}

Status HistoryReader::ParseFields(const Fields& f) {
  if (f.type == nullptr) return Status::Corruption("the object has no \"type\" member");
  if (f.type->kind != JsonMember::Kind::kString) {
    return Status::Corruption("\"type\" must be a string");
  }
  const std::string decoded_type = f.type->escaped ? Text(f.type, &scratch_) : std::string();
  const std::string_view type = f.type->escaped ? std::string_view(decoded_type) : f.type->raw;
  if (type.size() == 5 && Is(type, "input")) return ParseInput(f);
  if (type.size() == 6 && Is(type, "output")) return ParseOutput(f);
  History& h = history_;
  int64_t t = 0;
  if (type != "meta") {
    if (type != "window" && type != "fault" && type != "runtime" && type != "phase" &&
        type != "retraction") {
      return Status::Ok();  // an unknown type: ignored
    }
    RETURN_IF_ERROR(GetInt(f.t, type, "t", &t));
    h.end_t = std::max(h.end_t, t);
  }
  if (type == "window") {
    WindowEvent e{t, 0, 0, 0, 0, true};
    RETURN_IF_ERROR(GetKey(f.key, type, &e.key));
    RETURN_IF_ERROR(GetInt(f.start, type, "start", &e.start));
    RETURN_IF_ERROR(GetInt(f.end, type, "end", &e.end));
    RETURN_IF_ERROR(GetInt(f.count, type, "count", &e.count));
    RETURN_IF_ERROR(GetCommitted(f.committed, type, &e.committed));
    h.windows.push_back(e);
    if (e.committed) {
      RETURN_IF_ERROR(
          NoteSource(f.source, static_cast<uint32_t>(h.windows.size() - 1) | kWindowBit));
    }
  } else if (type == "fault") {
    std::string phase;
    RETURN_IF_ERROR(GetString(f.phase, type, "phase", &scratch_, &phase));
    if (f.fault == nullptr) return Missing(type, "fault");
    FaultEdge edge;
    edge.t = t;
    if (f.fault_id != nullptr)
      RETURN_IF_ERROR(GetInt(f.fault_id, type, "fault_id", &edge.fault_id));
    edge.fault = Text(f.fault, &scratch_);
    edge.target = Text(f.target, &scratch_);
    if (phase == "begin" || phase == "end") {  // other phases are ignored
      edge.phase = phase == "begin" ? FaultEdge::Phase::kBegin : FaultEdge::Phase::kEnd;
      fault_edges_.push_back(std::move(edge));
    } else if (phase == "failed") {
      h.failed_faults.push_back(
          {t, std::move(edge.fault), std::move(edge.target), Text(f.error, &scratch_)});
    }
  } else if (type == "retraction") {
    RETURN_IF_ERROR(ParseRetraction(f, t));
  } else if (type == "runtime") {
    std::string event = Text(f.event, &scratch_);
    if (event == "checkpoint-completed" && f.checkpoint != nullptr) {
      int64_t id;
      RETURN_IF_ERROR(GetInt(f.checkpoint, type, "checkpoint", &id));
      h.checkpoints.push_back({t, id});
    } else if (event == "restore-went-back") {
      RestoreBackEvent back{t, 0, 0,
                            f.rollback != nullptr && f.rollback->kind == JsonMember::Kind::kTrue};
      if (!Absent(f.checkpoint))
        RETURN_IF_ERROR(GetInt(f.checkpoint, type, "checkpoint", &back.checkpoint));
      RETURN_IF_ERROR(GetInt(f.newest, type, "newest", &back.newest));
      h.restores_back.push_back(back);
    }
  } else if (type == "phase") {
    std::string phase;
    RETURN_IF_ERROR(GetString(f.phase, type, "phase", &scratch_, &phase));
    h.phases.push_back({t, std::move(phase), f.error ? Text(f.error, &scratch_) : ""});
  } else if (!h.meta.present) {  // meta: the first one counts
    h.meta.present = true;
    if (f.mode != nullptr)
      RETURN_IF_ERROR(GetString(f.mode, type, "mode", &scratch_, &h.meta.mode));
    if (f.job != nullptr) RETURN_IF_ERROR(GetString(f.job, type, "job", &scratch_, &h.meta.job));
    if (!Absent(f.system)) {
      RETURN_IF_ERROR(GetString(f.system, type, "system", &scratch_, &h.meta.system));
    }
    if (!Absent(f.checks)) RETURN_IF_ERROR(GetChecks(f.checks, &h.meta.checks.emplace()));
    h.meta.scenario = Text(f.scenario, &scratch_);
    if (f.seed != nullptr) {
      uint64_t seed;
      if (f.seed->kind != JsonMember::Kind::kNumber || !ParseJsonUint64(f.seed->raw, &seed)) {
        return Mistyped(type, "seed", "a non-negative integer");
      }
      h.meta.seed = seed;
    }
    if (f.window_size != nullptr) {
      int64_t size;
      RETURN_IF_ERROR(GetInt(f.window_size, type, "window_size", &size));
      if (size <= 0) return Mistyped(type, "window_size", "positive");
      h.meta.window_size = size;
    }
  }
  return Status::Ok();
}

Result<History> ParseHistory(std::string_view text) {
  HistoryReader reader;
  RETURN_IF_ERROR(reader.Feed(text));
  return reader.Finish();
}

namespace {

// Feeds `reader` the bytes of `fd` from `begin` to `end` (or to the end of the file when `end`
// is UINT64_MAX), then a last line without newline; `estimate` is how many bytes the reader's
// event vectors should be reserved for.
Status FeedRange(int fd, uint64_t begin, uint64_t end, uint64_t estimate, HistoryReader* reader) {
  std::string buf(size_t{8} << 20, '\0');
  uint64_t at = begin;
  while (at < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - at));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("read", errno);
    if (n == 0) break;
    RETURN_IF_ERROR(reader->Feed(std::string_view(buf.data(), static_cast<size_t>(n))));
    if (at == begin) reader->ReserveFor(estimate, static_cast<uint64_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return reader->FeedEnd();
}

// Where the second part of a two-part read starts: just past the first newline after the
// middle of the file; 0 when there is none.
uint64_t SplitPoint(int fd, uint64_t size) {
  char buf[64 << 10];
  for (uint64_t at = size / 2; at < size;) {
    ssize_t n = ::pread(fd, buf, sizeof(buf), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    if (const void* nl = std::memchr(buf, '\n', static_cast<size_t>(n))) {
      return at + static_cast<uint64_t>(static_cast<const char*>(nl) - buf) + 1;
    }
    at += static_cast<uint64_t>(n);
  }
  return 0;
}

}  // namespace

Result<History> ReadHistoryFile(const std::string& path, uint64_t two_part_min_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("open " + path, errno);
  struct stat st;
  const uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  // A large history is parsed in two halves at once, the second by a thread of its own, and
  // the halves joined: parsing is most of the checker's time (docs/benchmarks.md).
  const uint64_t split = size >= two_part_min_bytes && std::thread::hardware_concurrency() > 1
                             ? SplitPoint(fd, size)
                             : 0;
  HistoryReader reader;
  Status status;
  if (split == 0) {
    status = FeedRange(fd, 0, UINT64_MAX, size, &reader);
  } else {
    HistoryReader later;
    later.DeferSources();
    Status later_status;
    std::thread second(
        [&] { later_status = FeedRange(fd, split, UINT64_MAX, size - split, &later); });
    status = FeedRange(fd, 0, split, size, &reader);
    second.join();
    if (status.ok()) status = reader.Append(std::move(later), later_status);
  }
  ::close(fd);
  if (!status.ok()) return status.WithContext(path);
  auto history = reader.Finish();
  if (!history.ok()) return history.status().WithContext(path);
  return history;
}

}  // namespace faultline::checkers
