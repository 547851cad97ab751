#include "runtime/sink.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/logging.h"

namespace faultline::runtime {
namespace {

constexpr char kCommitted[] = "committed";
constexpr char kPending[] = "pending";

std::string PendingName(int subtask, int64_t attempt, int64_t checkpoint_id) {
  return "sink-" + std::to_string(subtask) + "-a" + std::to_string(attempt) + "-chk-" +
         std::to_string(checkpoint_id) + ".txn";
}

std::string CommittedName(int subtask, int64_t checkpoint_id) {
  return "sink-" + std::to_string(subtask) + "-chk-" + std::to_string(checkpoint_id) + ".seg";
}

// Consumes `literal` from the front of `*in`.
bool Eat(std::string_view* in, std::string_view literal) {
  if (!in->starts_with(literal)) return false;
  in->remove_prefix(literal.size());
  return true;
}

// Consumes a non-negative decimal number from the front of `*in`.
template <typename Int>
bool EatNumber(std::string_view* in, Int* v) {
  auto [end, ec] = std::from_chars(in->data(), in->data() + in->size(), *v);
  if (ec != std::errc() || end == in->data() || *v < 0) return false;
  in->remove_prefix(static_cast<size_t>(end - in->data()));
  return true;
}

struct PendingTxnName {
  int subtask = 0;
  int64_t attempt = 0;
  int64_t checkpoint_id = 0;
};

// Parses "sink-<k>-a<ATTEMPT>-chk-<N>.txn".
std::optional<PendingTxnName> ParsePendingName(std::string_view name) {
  PendingTxnName p;
  if (Eat(&name, "sink-") && EatNumber(&name, &p.subtask) && Eat(&name, "-a") &&
      EatNumber(&name, &p.attempt) && Eat(&name, "-chk-") && EatNumber(&name, &p.checkpoint_id) &&
      name == ".txn") {
    return p;
  }
  return std::nullopt;
}

// rename(2) that refuses to replace an existing target (EEXIST), where the filesystem allows.
int RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (PathExists(to)) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

}  // namespace

Result<uint64_t> PendingOutputBytes(const std::string& output_dir, int64_t attempt) {
  const std::string dir = JoinPath(output_dir, kPending);
  if (!PathExists(dir)) return uint64_t{0};
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  uint64_t bytes = 0;
  for (const std::string& name : names) {
    std::optional<PendingTxnName> parsed = ParsePendingName(name);
    if (!parsed || parsed->attempt != attempt) continue;
    Result<uint64_t> size = FileSize(JoinPath(dir, name));
    if (size.ok()) {
      bytes += *size;
    } else if (!size.status().IsNotFound()) {  // not found: committed or aborted meanwhile
      return size.status();
    }
  }
  return bytes;
}

namespace {

// Promised: see TransactionalSink. After a failed Write, Flush or PreCommit the sink is
// broken (its open file may have lost data) and every later call returns that error; a
// failed Commit can be retried.
class TwoPhaseCommitSink final : public TransactionalSink {
 public:
  TwoPhaseCommitSink(const std::string& output_dir, int subtask, int parallelism, int64_t attempt)
      : committed_dir_(JoinPath(output_dir, kCommitted)),
        pending_dir_(JoinPath(output_dir, kPending)),
        subtask_(subtask),
        parallelism_(parallelism),
        attempt_(attempt) {}

  // Commit-on-restore, abort of every other leftover of the subtasks this one owns, then the
  // first open transaction.
  Status Restore(const SinkSnapshot& restored) {
    RETURN_IF_ERROR(CreateDirs(committed_dir_));
    RETURN_IF_ERROR(CreateDirs(pending_dir_));
    int64_t last_id = 0;
    for (const SinkSnapshot::Txn& txn : restored.precommitted) {
      RETURN_IF_ERROR(failpoint::Check("sink.restore.commit"));
      RETURN_IF_ERROR(CommitOne(txn));
      last_id = std::max(last_id, txn.checkpoint_id);
    }
    if (!restored.precommitted.empty()) RETURN_IF_ERROR(SyncDirs());
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(pending_dir_));
    int aborted = 0;
    for (const std::string& name : names) {
      std::optional<PendingTxnName> parsed = ParsePendingName(name);
      if (!parsed || !SinkOwnsSubtask(subtask_, parallelism_, parsed->subtask)) continue;
      const std::string path = JoinPath(pending_dir_, name);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::IoError("abort transaction " + path, errno);
      }
      ++aborted;
    }
    if (aborted > 0) RETURN_IF_ERROR(FsyncDir(pending_dir_));
    last_precommitted_ = last_id;  // ids at or below a restored one are taken
    return OpenTxn(last_id + 1);
  }

  Status Write(const OutputRecord& record) override {
    RETURN_IF_ERROR(broken_);
    scratch_.clear();
    EncodeOutputRecord(record, &scratch_);
    return Check(open_->Append(scratch_).status());
  }

  Status Flush() override {
    RETURN_IF_ERROR(broken_);
    return Check(open_->Flush());
  }

  Result<SinkSnapshot> PreCommit(int64_t checkpoint_id) override {
    RETURN_IF_ERROR(broken_);
    if (checkpoint_id <= last_precommitted_) {
      return Status::InvalidArgument("pre-commit of checkpoint " + std::to_string(checkpoint_id) +
                                     " after checkpoint " + std::to_string(last_precommitted_));
    }
    RETURN_IF_ERROR(Check(DoPreCommit(checkpoint_id)));
    return SinkSnapshot{precommitted_};
  }

  Status Commit(int64_t checkpoint_id) override {
    RETURN_IF_ERROR(broken_);
    size_t n = 0;
    while (n < precommitted_.size() && precommitted_[n].checkpoint_id <= checkpoint_id) {
      RETURN_IF_ERROR(CommitOne(precommitted_[n]));
      ++n;
    }
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(SyncDirs());
    precommitted_.erase(precommitted_.begin(), precommitted_.begin() + static_cast<ptrdiff_t>(n));
    return Status::Ok();
  }

 private:
  Status Check(Status s) {
    if (!s.ok()) broken_ = s;
    return s;
  }

  Status OpenTxn(int64_t expected_id) {
    open_name_ = PendingName(subtask_, attempt_, expected_id);
    open_id_ = expected_id;
    ASSIGN_OR_RETURN(RecordLogWriter writer,
                     RecordLogWriter::Open(JoinPath(pending_dir_, open_name_)));
    open_.emplace(std::move(writer));
    return Status::Ok();
  }

  Status DoPreCommit(int64_t checkpoint_id) {
    RETURN_IF_ERROR(failpoint::Check("sink.precommit"));
    RETURN_IF_ERROR(open_->Close());  // flush + fsync
    open_.reset();
    std::string name = open_name_;
    if (checkpoint_id == open_id_) {
      RETURN_IF_ERROR(FsyncDir(pending_dir_));  // the file's creation
    } else {
      // The open transaction was named after the checkpoint expected next; a skipped id
      // (a checkpoint aborted before its barrier got here) renames it.
      name = PendingName(subtask_, attempt_, checkpoint_id);
      RETURN_IF_ERROR(
          RenameDurable(JoinPath(pending_dir_, open_name_), JoinPath(pending_dir_, name)));
    }
    precommitted_.push_back({checkpoint_id, name});
    last_precommitted_ = checkpoint_id;
    return OpenTxn(checkpoint_id + 1);
  }

  // Renames one pre-committed transaction into committed/ (no directory fsync). Already
  // committed (pending file gone, committed file present) counts as done.
  Status CommitOne(const SinkSnapshot::Txn& txn) {
    std::optional<PendingTxnName> parsed = ParsePendingName(txn.pending_name);
    if (!parsed) {
      return Status::Corruption("sink snapshot names a bad pending file '" + txn.pending_name +
                                "'");
    }
    const std::string from = JoinPath(pending_dir_, txn.pending_name);
    const std::string to =
        JoinPath(committed_dir_, CommittedName(parsed->subtask, txn.checkpoint_id));
    RETURN_IF_ERROR(failpoint::Check("sink.commit.before_rename"));
    if (RenameNoReplace(from, to) != 0) {
      const int err = errno;
      const bool pending = PathExists(from);
      const bool committed = PathExists(to);
      if (!pending && committed) return Status::Ok();  // committed before (or by a zombie)
      if (!pending) {
        return Status::Corruption("pre-committed transaction " + from +
                                  " is neither pending nor committed");
      }
      if (committed) {
        return Status::AlreadyExists("cannot commit " + from + ": " + to +
                                     " holds another transaction (checkpoint id reused?)");
      }
      return Status::IoError("commit " + from + " -> " + to, err);
    }
    RETURN_IF_ERROR(failpoint::Check("sink.commit.after_rename"));
    return Status::Ok();
  }

  Status SyncDirs() {
    RETURN_IF_ERROR(FsyncDir(committed_dir_));
    return FsyncDir(pending_dir_);
  }

  const std::string committed_dir_;
  const std::string pending_dir_;
  const int subtask_;
  const int parallelism_;
  const int64_t attempt_;
  std::optional<RecordLogWriter> open_;  // the open transaction
  std::string open_name_;
  int64_t open_id_ = 0;  // the checkpoint id in open_name_
  int64_t last_precommitted_ = 0;
  std::vector<SinkSnapshot::Txn> precommitted_;  // not yet committed, by checkpoint id
  std::string scratch_;
  Status broken_;
};

}  // namespace

std::string SinkSnapshot::Serialize() const {
  nlohmann::json txns = nlohmann::json::array();
  for (const Txn& txn : precommitted) {
    txns.push_back({{"checkpoint", txn.checkpoint_id}, {"pending", txn.pending_name}});
  }
  nlohmann::json j;
  j["precommitted"] = std::move(txns);
  return j.dump();
}

Result<SinkSnapshot> SinkSnapshot::Parse(std::string_view data) {
  try {
    nlohmann::json j = nlohmann::json::parse(data);
    const nlohmann::json& txns = j.at("precommitted");
    if (!txns.is_array()) return Status::Corruption("sink snapshot: precommitted is not a list");
    SinkSnapshot snapshot;
    for (const nlohmann::json& t : txns) {
      const nlohmann::json& id = t.at("checkpoint");
      const nlohmann::json& name = t.at("pending");
      if (!id.is_number_integer() || !name.is_string()) {
        return Status::Corruption("sink snapshot: bad transaction " + t.dump());
      }
      snapshot.precommitted.push_back({id.get<int64_t>(), name.get<std::string>()});
    }
    return snapshot;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("sink snapshot: ") + e.what());
  }
}

Result<std::unique_ptr<TransactionalSink>> TransactionalSink::Open(const std::string& output_dir,
                                                                   int subtask, int parallelism,
                                                                   int64_t attempt,
                                                                   const SinkSnapshot& restored) {
  if (subtask < 0 || subtask >= parallelism) {
    return Status::InvalidArgument("sink subtask " + std::to_string(subtask) + " of parallelism " +
                                   std::to_string(parallelism));
  }
  auto sink = std::make_unique<TwoPhaseCommitSink>(output_dir, subtask, parallelism, attempt);
  RETURN_IF_ERROR(sink->Restore(restored).WithContext("open sink " + std::to_string(subtask)));
  return std::unique_ptr<TransactionalSink>(std::move(sink));
}

bool SinkOwnsSubtask(int subtask, int parallelism, int other) {
  if (other == subtask) return true;
  return other >= parallelism && other % parallelism == subtask;
}

Result<std::unique_ptr<DirectSink>> DirectSink::Open(const std::string& output_dir, int subtask) {
  const std::string dir = JoinPath(output_dir, kCommitted);
  RETURN_IF_ERROR(CreateDirs(dir));
  const std::string path = JoinPath(dir, "sink-" + std::to_string(subtask) + ".log");
  ASSIGN_OR_RETURN(RecordLogWriter writer, RecordLogWriter::Open(path));
  if (writer.recovered_damage()) {
    LogLine(LogLevel::kWarning,
            "direct sink " + path + ": cut damaged tail: " + writer.recovered_damage()->reason);
  }
  return std::unique_ptr<DirectSink>(new DirectSink(std::move(writer)));
}

Status DirectSink::Write(const OutputRecord& record) {
  scratch_.clear();
  EncodeOutputRecord(record, &scratch_);
  return writer_.Append(scratch_).status();
}

Status DirectSink::Flush() { return writer_.Flush(); }

Status DirectSink::Sync() { return writer_.Sync(); }

}  // namespace faultline::runtime
