// Micro benchmarks of the storage layer: CRC32C and the framed log.
#include <benchmark/benchmark.h>

#include <string>

#include "base/crc32c.h"
#include "base/record_log.h"

namespace faultline {
namespace {

void BM_Crc32c(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::Value(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_ScanLog(benchmark::State& state) {
  std::string log;
  std::string payload(static_cast<size_t>(state.range(0)), 'p');
  for (int i = 0; i < 10'000; ++i) AppendLogFrame(&log, payload);
  for (auto _ : state) benchmark::DoNotOptimize(ScanLog(log).records.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 10'000);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(log.size()));
}
BENCHMARK(BM_ScanLog)->Arg(32)->Arg(256);

}  // namespace
}  // namespace faultline
