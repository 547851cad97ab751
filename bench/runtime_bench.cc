// Micro benchmarks of the runtime's hot paths: the wire frame codec (record batches as a
// source sends them and an operator receives them) and the keyed state backends (the count
// operator's read-modify-write, snapshots).
//
//   build/release/bin/runtime_bench --benchmark_filter=Frame
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "base/record_log.h"
#include "base/test_util.h"
#include "runtime/key_groups.h"
#include "runtime/state_backend.h"
#include "runtime/wire.h"

namespace faultline::runtime {
namespace {

std::vector<InputRecord> InputBatch(int n) {
  std::vector<InputRecord> batch;
  for (int i = 0; i < n; ++i) {
    InputRecord r;
    r.id = 1'000'000 + static_cast<uint64_t>(i);
    r.key = "k" + std::to_string(i * 37 % 10'000);
    r.event_time = 1'700'000'000'000 + i;
    batch.push_back(std::move(r));
  }
  return batch;
}

std::vector<OutputRecord> OutputBatch(int n) {
  std::vector<OutputRecord> batch;
  for (int i = 0; i < n; ++i) {
    OutputRecord r;
    r.id = 1'000'000 + static_cast<uint64_t>(i);
    r.key = "k" + std::to_string(i * 37 % 10'000);
    r.count = i + 1;
    batch.push_back(std::move(r));
  }
  return batch;
}

// Source side: encode a batch of input records into one whole frame (header + CRC).
void BM_EncodeInputFrame(benchmark::State& state) {
  auto batch = InputBatch(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string frame = MakeFrame(FrameType::kRecords, EncodeInputBatch(batch));
    bytes = frame.size();
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_EncodeInputFrame)->Arg(1)->Arg(256);

// Operator side: check the frame's CRC and decode its batch.
void BM_DecodeInputFrame(benchmark::State& state) {
  const std::string frame = MakeFrame(
      FrameType::kRecords, EncodeInputBatch(InputBatch(static_cast<int>(state.range(0)))));
  for (auto _ : state) {
    DecodedFrame f = DecodeLogFrame(frame);
    auto batch = DecodeInputBatch(f.payload.substr(1));
    if (!batch.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(batch->data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeInputFrame)->Arg(1)->Arg(256);

void BM_OutputFrameRoundTrip(benchmark::State& state) {
  auto batch = OutputBatch(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::string frame = MakeFrame(FrameType::kOutputs, EncodeOutputBatch(batch));
    DecodedFrame f = DecodeLogFrame(frame);
    auto decoded = DecodeOutputBatch(f.payload.substr(1));
    if (!decoded.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded->data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_OutputFrameRoundTrip)->Arg(256);

constexpr int kMaxParallelism = 128;
const KeyGroupRange kAllGroups{0, kMaxParallelism - 1};

StateBackendKind Kind(int64_t arg) {
  return arg == 0 ? StateBackendKind::kMemory : StateBackendKind::kRocksDb;
}

// The count operator's per-record work: Get the key's count, Put count + 1.
void BM_StateIncrement(benchmark::State& state) {
  TempDir dir;
  auto backend = OpenStateBackend(Kind(state.range(0)), dir.File("work"), kAllGroups, {});
  if (!backend.ok()) {
    state.SkipWithError(backend.status().ToString().c_str());
    return;
  }
  const int64_t keys = state.range(1);
  std::vector<std::pair<int, std::string>> names;
  for (int64_t k = 0; k < keys; ++k) {
    std::string key = "k" + std::to_string(k);
    names.emplace_back(KeyGroupOf(key, kMaxParallelism), key);
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [group, key] = names[i++ % names.size()];
    auto v = (*backend)->Get(group, key);
    int64_t count = v.ok() && v->has_value() ? std::stoll(**v) : 0;
    (void)(*backend)->Put(group, key, std::to_string(count + 1));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_StateIncrement)->ArgNames({"rocksdb", "keys"})->Args({0, 10'000})->Args({1, 10'000});

// A full snapshot of `keys` entries (the first one of a RocksDB backend is a full one too).
void BM_StateSnapshot(benchmark::State& state) {
  TempDir dir;
  auto backend = OpenStateBackend(Kind(state.range(0)), dir.File("work"), kAllGroups, {});
  if (!backend.ok()) {
    state.SkipWithError(backend.status().ToString().c_str());
    return;
  }
  for (int64_t k = 0; k < state.range(1); ++k) {
    std::string key = "k" + std::to_string(k);
    (void)(*backend)->Put(KeyGroupOf(key, kMaxParallelism), key, std::to_string(k % 1000));
  }
  int n = 0;
  for (auto _ : state) {
    auto files = (*backend)->Snapshot(dir.File("snap-" + std::to_string(n++)));
    if (!files.ok()) state.SkipWithError(files.status().ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
}
BENCHMARK(BM_StateSnapshot)
    ->ArgNames({"rocksdb", "keys"})
    ->Args({0, 100'000})
    ->Args({1, 100'000})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace faultline::runtime
