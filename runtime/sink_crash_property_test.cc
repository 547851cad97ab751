// The two-phase-commit sink crashed at every step. A forked child plays a sink task and its
// coordinator for one attempt: epoch by epoch it writes records, pre-commits, durably records
// "checkpoint n completed" with the returned SinkSnapshot (the coordinator's _metadata), then
// commits. A fault is armed at a random step (a crash, a torn write or an I/O error at a sink
// or storage failpoint), or the parent SIGKILLs the child after a random number of steps. The
// parent then restores like the runtime: Open(attempt + 1, snapshot of the last completed
// checkpoint). After a few such attempts, committed output must be exactly the records of the
// completed epochs, each once, with no pending file of an older attempt left.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/failpoint.h"
#include "base/file.h"
#include "base/test_util.h"
#include "runtime/failpoints.h"
#include "runtime/sink.h"

namespace faultline::runtime {
namespace {

constexpr int kSubtask = 0;

struct Epoch {
  int64_t checkpoint_id = 0;
  std::vector<OutputRecord> records;
  std::vector<bool> flush_after;  // per record: Flush() after writing it
  bool notified = true;           // false: the commit notification is lost
};

struct Fault {
  enum class Kind { kNone, kFailpoint, kKill } kind = Kind::kNone;
  size_t at_step = 0;  // failpoint: armed before this step; kill: after this many steps
  std::string site;
  std::string spec;
};

struct AttemptPlan {
  int64_t attempt = 0;
  std::vector<Epoch> epochs;
  Fault fault;
};

// One step of a child: an Open, a Write (+ Flush), a PreCommit, a metadata write, a Commit.
// Steps are numbered in that order: 0 is Open, then per epoch: its records, PreCommit, the
// metadata write and (if notified) Commit.
size_t StepCount(const AttemptPlan& plan) {
  size_t n = 1;
  for (const Epoch& e : plan.epochs) n += e.records.size() + 2 + (e.notified ? 1 : 0);
  return n;
}

// The coordinator's record of the last completed checkpoint: "<id>\n<SinkSnapshot>".
struct Completed {
  int64_t checkpoint_id = 0;
  SinkSnapshot snapshot;
};

std::string MetadataPath(const std::string& dir) { return dir + "/completed"; }

Result<Completed> ReadCompleted(const std::string& dir) {
  Result<std::string> data = ReadFileToString(MetadataPath(dir));
  if (!data.ok()) {
    if (data.status().IsNotFound()) return Completed{};
    return data.status();
  }
  size_t nl = data->find('\n');
  if (nl == std::string::npos) return Status::Corruption("bad metadata");
  Completed c;
  c.checkpoint_id = std::stoll(data->substr(0, nl));
  ASSIGN_OR_RETURN(c.snapshot, SinkSnapshot::Parse(std::string_view(*data).substr(nl + 1)));
  return c;
}

enum ChildExit { kDone = 0, kInjectedError = 3, kUnexpectedError = 4 };

// The child's whole life; never returns.
[[noreturn]] void RunChild(const std::string& dir, const AttemptPlan& plan,
                           const Completed& restored, int step_pipe) {
  size_t step = 0;
  auto begin_step = [&] {
    if (plan.fault.kind == Fault::Kind::kFailpoint && step == plan.fault.at_step) {
      if (!failpoint::Arm(plan.fault.site, plan.fault.spec).ok()) _exit(kUnexpectedError);
    }
  };
  auto end_step = [&] {
    ++step;
    char c = 's';
    if (step_pipe >= 0 && ::write(step_pipe, &c, 1) != 1) _exit(kUnexpectedError);
  };
  auto check = [&](const Status& s) {
    if (s.ok()) return;
    // An injected error fails the task, as in the runtime; anything else is a bug.
    bool injected = s.message().find("failpoint") != std::string::npos;
    std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
    _exit(injected ? kInjectedError : kUnexpectedError);
  };
  begin_step();
  auto sink = TransactionalSink::Open(dir + "/out", kSubtask, 1, plan.attempt, restored.snapshot);
  check(sink.status());
  end_step();
  for (const Epoch& epoch : plan.epochs) {
    for (size_t i = 0; i < epoch.records.size(); ++i) {
      begin_step();
      check((*sink)->Write(epoch.records[i]));
      if (epoch.flush_after[i]) check((*sink)->Flush());
      end_step();
    }
    begin_step();
    Result<SinkSnapshot> snapshot = (*sink)->PreCommit(epoch.checkpoint_id);
    check(snapshot.status());
    end_step();
    begin_step();
    check(WriteFileAtomic(MetadataPath(dir),
                          std::to_string(epoch.checkpoint_id) + "\n" + snapshot->Serialize()));
    end_step();
    if (epoch.notified) {
      begin_step();
      check((*sink)->Commit(epoch.checkpoint_id));
      end_step();
    }
  }
  _exit(kDone);
}

// Runs one attempt in a child process and reports how it ended.
std::string RunAttempt(const std::string& dir, const AttemptPlan& plan, const Completed& restored) {
  int fds[2];
  RC_ASSERT(::pipe2(fds, O_CLOEXEC) == 0);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  RC_ASSERT(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    // Failpoint and error chatter goes to a file; the parent shows it on a bug.
    int err = ::open((dir + "/child.stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    RunChild(dir, plan, restored, fds[1]);
  }
  ::close(fds[1]);
  size_t steps = 0;
  char c;
  while (true) {
    if (plan.fault.kind == Fault::Kind::kKill && steps == plan.fault.at_step) {
      ::kill(pid, SIGKILL);  // lands somewhere in the following steps
      break;
    }
    ssize_t n = ::read(fds[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    ++steps;
  }
  ::close(fds[0]);
  int status = 0;
  RC_ASSERT(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) {
    RC_ASSERT(WTERMSIG(status) == SIGKILL);
    return "killed";
  }
  RC_ASSERT(WIFEXITED(status));
  if (WEXITSTATUS(status) == kUnexpectedError) {
    RC_FAIL("child failed: " + ReadFileToString(dir + "/child.stderr").value());
  }
  RC_ASSERT(WEXITSTATUS(status) == kDone || WEXITSTATUS(status) == kInjectedError);
  return WEXITSTATUS(status) == kDone ? "done" : "error";
}

rc::Gen<Fault> GenFault(size_t steps) {
  return rc::gen::exec([steps] {
    Fault f;
    f.kind = *rc::gen::weightedElement<Fault::Kind>(
        {{1, Fault::Kind::kNone}, {6, Fault::Kind::kFailpoint}, {3, Fault::Kind::kKill}});
    f.at_step = *rc::gen::inRange<size_t>(0, steps + 1);
    f.site = *rc::gen::element<std::string>("sink.precommit", "sink.commit.before_rename",
                                            "sink.commit.after_rename", "storage.fsync",
                                            "storage.write");
    std::vector<std::string> actions = {"1*crash", "1*error(EIO)"};
    if (f.site == "storage.write") actions.push_back("1*torn");
    f.spec = *rc::gen::elementOf(actions);
    return f;
  });
}

AttemptPlan GenPlan(int64_t attempt, int64_t last_completed, uint64_t* next_id) {
  AttemptPlan plan;
  plan.attempt = attempt;
  // Ids go on from the restored checkpoint; an id of an aborted checkpoint may come again.
  int64_t id = last_completed + *rc::gen::inRange<int64_t>(1, 3);
  const int epochs = *rc::gen::inRange(1, 6);
  for (int e = 0; e < epochs; ++e) {
    Epoch epoch;
    epoch.checkpoint_id = id;
    const int n = *rc::gen::inRange(0, 6);
    for (int i = 0; i < n; ++i) {
      OutputRecord r;
      r.id = (*next_id)++;
      r.key = "k" + std::to_string(r.id % 5);
      r.count = static_cast<int64_t>(r.id);
      epoch.records.push_back(r);
      epoch.flush_after.push_back(*rc::gen::inRange(0, 4) == 0);
    }
    epoch.notified = *rc::gen::inRange(0, 4) != 0;
    plan.epochs.push_back(std::move(epoch));
    id += *rc::gen::weightedElement<int64_t>({{4, 1}, {1, 2}});  // 2: a checkpoint aborted
  }
  plan.fault = *GenFault(StepCount(plan));
  return plan;
}

std::string Describe(const Fault& f) {
  switch (f.kind) {
    case Fault::Kind::kNone:
      return "no fault";
    case Fault::Kind::kKill:
      return "SIGKILL";
    case Fault::Kind::kFailpoint:
      return f.site + "=" + f.spec;
  }
  return "";
}

std::multiset<uint64_t> CommittedIds(const std::string& out) {
  auto entries = ReadOutput(out, /*include_pending=*/false);
  if (!entries.ok()) RC_FAIL("ReadOutput: " + entries.status().ToString());
  std::multiset<uint64_t> ids;
  for (const OutputEntry& e : *entries) ids.insert(e.record.id);
  return ids;
}

RC_GTEST_PROP(SinkCrashProperty, CommittedOutputIsExactlyTheCompletedEpochs, ()) {
  RegisterRuntimeFailpoints();
  TempDir dir;
  const std::string out = dir.File("out");
  uint64_t next_id = 1;
  std::multiset<uint64_t> expected;  // records of completed epochs
  std::set<uint64_t> written;        // every record any attempt wrote
  Completed completed;
  const int attempts = *rc::gen::inRange(1, 4);
  for (int64_t attempt = 1; attempt <= attempts; ++attempt) {
    AttemptPlan plan = GenPlan(attempt, completed.checkpoint_id, &next_id);
    std::string how = RunAttempt(dir.path(), plan, completed);
    if (attempt == 1) RC_TAG(Describe(plan.fault) + " -> " + how);
    Result<Completed> now = ReadCompleted(dir.path());
    RC_ASSERT(now.ok());
    RC_ASSERT(now->checkpoint_id >= completed.checkpoint_id);
    for (const Epoch& e : plan.epochs) {
      bool done =
          e.checkpoint_id > completed.checkpoint_id && e.checkpoint_id <= now->checkpoint_id;
      for (const OutputRecord& r : e.records) {
        written.insert(r.id);
        if (done) expected.insert(r.id);
      }
    }
    completed = *now;
    // Before any restore: nothing beyond the completed epochs is committed, nothing twice.
    std::multiset<uint64_t> committed = CommittedIds(out);
    RC_ASSERT(std::includes(expected.begin(), expected.end(), committed.begin(), committed.end()));
  }
  // The restore of the next attempt.
  const int64_t final_attempt = attempts + 1;
  auto sink = TransactionalSink::Open(out, kSubtask, 1, final_attempt, completed.snapshot);
  if (!sink.ok()) RC_FAIL("restore: " + sink.status().ToString());
  RC_ASSERT(CommittedIds(out) == expected);
  auto pending = ListDir(out + "/pending");
  RC_ASSERT(pending.ok());
  const std::string prefix = "sink-0-a" + std::to_string(final_attempt) + "-";
  for (const std::string& name : *pending) RC_ASSERT(name.starts_with(prefix));
  auto all = ReadOutput(out, /*include_pending=*/true);
  RC_ASSERT(all.ok());
  RC_ASSERT(all->size() == expected.size());  // no pending records either
}

}  // namespace
}  // namespace faultline::runtime
