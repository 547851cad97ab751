// Each state backend against a model (std::map) over random Put/Delete/Get, snapshots and
// restores, and restores across parallelism changes: the snapshots of all P subtasks restored
// into Q subtasks put every key in exactly the subtask whose key-group range holds it.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <map>

#include "base/file.h"
#include "base/test_util.h"
#include "runtime/key_groups.h"
#include "runtime/state_backend.h"
#include "runtime/state_backend_test_util.h"

namespace faultline::runtime {
namespace {

using Entries = StateEntries;

Entries Dump(KeyedStateBackend& backend) {
  Result<Entries> entries = DumpState(backend);
  if (!entries.ok()) RC_FAIL(entries.status().ToString());
  return *entries;
}

std::unique_ptr<KeyedStateBackend> OpenOrFail(StateBackendKind kind, const std::string& work,
                                              KeyGroupRange range,
                                              const std::vector<std::string>& restore) {
  auto backend = OpenStateBackend(kind, work, range, WholeDirectories(restore));
  if (!backend.ok()) RC_FAIL("open: " + backend.status().ToString());
  return std::move(backend).value();
}

// A few keys so that puts, deletes and gets collide.
rc::Gen<std::string> Key() {
  return rc::gen::weightedOneOf<std::string>(
      {{4, rc::gen::map(rc::gen::inRange(0, 8), [](int i) { return "k" + std::to_string(i); })},
       {1, rc::gen::arbitrary<std::string>()}});
}

// ---- model-based test of one subtask ----

struct Model {
  KeyGroupRange range;
  Entries data;
  std::vector<Entries> snapshots;
};

struct Sut {
  StateBackendKind kind;
  TempDir dir;
  std::unique_ptr<KeyedStateBackend> backend;
  std::vector<std::string> snapshot_dirs;
  std::vector<std::vector<SnapshotFile>> snapshot_files;
};

using Command = rc::state::Command<Model, Sut>;

rc::Gen<int> GroupIn(KeyGroupRange r) { return rc::gen::inRange(r.first, r.last + 1); }

struct Put : Command {
  int group;
  std::string key = *Key();
  std::string value = *rc::gen::arbitrary<std::string>();
  explicit Put(const Model& m) : group(*GroupIn(m.range)) {}
  void apply(Model& m) const override { m.data[{group, key}] = value; }
  void run(const Model&, Sut& s) const override {
    RC_ASSERT(s.backend->Put(group, key, value).ok());
  }
  void show(std::ostream& os) const override { os << "Put(" << group << ", " << key << ")"; }
};

struct Delete : Command {
  int group;
  std::string key = *Key();
  explicit Delete(const Model& m) : group(*GroupIn(m.range)) {}
  void apply(Model& m) const override { m.data.erase({group, key}); }
  void run(const Model&, Sut& s) const override { RC_ASSERT(s.backend->Delete(group, key).ok()); }
  void show(std::ostream& os) const override { os << "Delete(" << group << ", " << key << ")"; }
};

struct Get : Command {
  int group;
  std::string key = *Key();
  explicit Get(const Model& m) : group(*GroupIn(m.range)) {}
  void run(const Model& m, Sut& s) const override {
    auto got = s.backend->Get(group, key);
    RC_ASSERT(got.ok());
    auto it = m.data.find({group, key});
    RC_ASSERT(got->has_value() == (it != m.data.end()));
    if (it != m.data.end()) RC_ASSERT(**got == it->second);
  }
  void show(std::ostream& os) const override { os << "Get(" << group << ", " << key << ")"; }
};

struct Scan : Command {
  void run(const Model& m, Sut& s) const override {
    RC_ASSERT(Dump(*s.backend) == m.data);
    if (s.kind == StateBackendKind::kMemory) {
      RC_ASSERT(s.backend->ApproximateEntries() == m.data.size());
    }
  }
  void show(std::ostream& os) const override { os << "Scan"; }
};

struct Snapshot : Command {
  void apply(Model& m) const override { m.snapshots.push_back(m.data); }
  void run(const Model&, Sut& s) const override {
    std::string dir = s.dir.File("chk-" + std::to_string(s.snapshot_dirs.size()) + "/op");
    auto files = s.backend->Snapshot(dir);
    RC_ASSERT(files.ok());
    s.snapshot_dirs.push_back(dir);
    s.snapshot_files.push_back(*files);
  }
  void show(std::ostream& os) const override { os << "Snapshot"; }
};

// Reopens from an earlier snapshot (possibly restored before, and written on since).
struct Restore : Command {
  size_t index;
  explicit Restore(const Model& m)
      : index(m.snapshots.empty() ? 0 : *rc::gen::inRange<size_t>(0, m.snapshots.size())) {}
  void checkPreconditions(const Model& m) const override { RC_PRE(index < m.snapshots.size()); }
  void apply(Model& m) const override { m.data = m.snapshots[index]; }
  void run(const Model& m, Sut& s) const override {
    RC_ASSERT(VerifySnapshotFiles(s.snapshot_dirs[index], s.snapshot_files[index]).ok());
    s.backend.reset();  // RocksDB: release the working DB's lock first
    s.backend = OpenOrFail(s.kind, s.dir.File("work"), m.range, {s.snapshot_dirs[index]});
  }
  void show(std::ostream& os) const override { os << "Restore(" << index << ")"; }
};

void CheckAgainstModel(StateBackendKind kind) {
  int parallelism = *rc::gen::inRange(1, 5);
  Model model;
  model.range = KeyGroupRangeForSubtask(kDefaultMaxParallelism, parallelism,
                                        *rc::gen::inRange(0, parallelism));
  Sut sut{kind, {}, nullptr, {}, {}};
  sut.backend = OpenOrFail(kind, sut.dir.File("work"), model.range, {});
  rc::state::check(
      model, sut,
      rc::state::gen::execOneOfWithArgs<Put, Put, Put, Delete, Get, Scan, Snapshot, Restore>());
}

RC_GTEST_PROP(StateBackendProperty, MemoryMatchesTheModel, ()) {
  CheckAgainstModel(StateBackendKind::kMemory);
}

RC_GTEST_PROP(StateBackendProperty, RocksDbMatchesTheModel, ()) {
  CheckAgainstModel(StateBackendKind::kRocksDb);
}

// ---- rescaling: P subtasks -> Q subtasks -> R subtasks ----

struct Op {
  std::string key;
  std::string value;
  bool erase;
};

rc::Gen<std::vector<Op>> Ops() {
  return rc::gen::container<std::vector<Op>>(rc::gen::construct<Op>(
      Key(), rc::gen::arbitrary<std::string>(),
      rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}})));
}

// Applies the ops whose key group falls in `range` to `backend` and to `model`.
void Apply(const std::vector<Op>& ops, int max_parallelism, KeyGroupRange range,
           KeyedStateBackend& backend, Entries* model) {
  for (const Op& op : ops) {
    int group = KeyGroupOf(op.key, max_parallelism);
    if (!range.Contains(group)) continue;
    if (op.erase) {
      RC_ASSERT(backend.Delete(group, op.key).ok());
      model->erase({group, op.key});
    } else {
      RC_ASSERT(backend.Put(group, op.key, op.value).ok());
      (*model)[{group, op.key}] = op.value;
    }
  }
}

Entries InRange(const Entries& model, KeyGroupRange range) {
  Entries out;
  for (const auto& [k, v] : model) {
    if (range.Contains(k.first)) out.emplace(k, v);
  }
  return out;
}

// Runs one generation: `parallelism` subtasks restore from `restore_dirs` (rotated at random),
// check that each holds exactly the model's entries of its range, apply `ops`, and snapshot.
// Returns the new snapshot directories.
std::vector<std::string> Generation(StateBackendKind kind, const TempDir& dir,
                                    const std::string& name, int max_parallelism, int parallelism,
                                    std::vector<std::string> restore_dirs,
                                    const std::vector<Op>& ops, Entries* model) {
  std::vector<std::string> snapshots;
  const size_t restored = model->size();
  size_t seen = 0;
  for (int subtask = 0; subtask < parallelism; ++subtask) {
    KeyGroupRange range = KeyGroupRangeForSubtask(max_parallelism, parallelism, subtask);
    if (!restore_dirs.empty()) {  // vary which snapshot a RocksDB restore starts from
      auto first = *rc::gen::inRange<size_t>(0, restore_dirs.size());
      std::rotate(restore_dirs.begin(), restore_dirs.begin() + static_cast<ptrdiff_t>(first),
                  restore_dirs.end());
    }
    auto backend = OpenOrFail(kind, dir.File(name + "-work"), range, restore_dirs);
    Entries held = Dump(*backend);
    RC_ASSERT(held == InRange(*model, range));
    seen += held.size();
    Apply(ops, max_parallelism, range, *backend, model);
    snapshots.push_back(dir.File(name + "/subtask-" + std::to_string(subtask)));
    RC_ASSERT(backend->Snapshot(snapshots.back()).ok());
  }
  RC_ASSERT(seen == restored);  // every key in exactly one subtask
  return snapshots;
}

void CheckRescale(StateBackendKind kind) {
  const int max_parallelism = *rc::gen::weightedOneOf<int>(
      {{3, rc::gen::just(kDefaultMaxParallelism)}, {1, rc::gen::inRange(1, 9)}});
  const auto p = *rc::gen::inRange(1, 5);
  const auto q = *rc::gen::inRange(1, 5);
  const auto r = *rc::gen::inRange(1, 5);
  TempDir dir;
  Entries model;
  auto gen1 = Generation(kind, dir, "p", max_parallelism, p, {}, *Ops(), &model);
  auto gen2 = Generation(kind, dir, "q", max_parallelism, q, gen1, *Ops(), &model);
  Generation(kind, dir, "r", max_parallelism, r, gen2, {}, &model);
}

RC_GTEST_PROP(StateBackendProperty, MemoryRescalesByKeyGroup, ()) {
  CheckRescale(StateBackendKind::kMemory);
}

RC_GTEST_PROP(StateBackendProperty, RocksDbRescalesByKeyGroup, ()) {
  CheckRescale(StateBackendKind::kRocksDb);
}

}  // namespace
}  // namespace faultline::runtime
