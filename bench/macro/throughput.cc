// Throughput: the raw loopback reference and the keyed count job in each delivery mode.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <iterator>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "base/socket.h"
#include "bench/macro/bench_cluster.h"
#include "bench/macro/interleave.h"
#include "bench/macro/macro_bench.h"
#include "runtime/sink.h"

namespace faultline::bench {
namespace {

constexpr size_t kMessageBytes = 100;

// Sends 100-byte messages, `per_write` per write(2), until `stop`; returns messages sent.
int64_t SendMessages(int fd, int per_write, const std::atomic<bool>& stop) {
  std::string buf(kMessageBytes * static_cast<size_t>(per_write), 'm');
  int64_t bytes = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    ssize_t n = ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes += n;
  }
  return bytes / static_cast<int64_t>(kMessageBytes);
}

// One sender/receiver pair over a fresh loopback connection for `seconds`; messages/s received.
Result<double> LoopbackRate(double seconds, int per_write) {
  ASSIGN_OR_RETURN(Fd listener, ListenTcp("127.0.0.1:0"));
  std::string address = "127.0.0.1:" + std::to_string(LocalPort(listener.get()));
  ASSIGN_OR_RETURN(Fd client, ConnectTcp(address, Deadline::AfterMillis(5000)));
  if (!WaitFor(listener.get(), POLLIN, Deadline::AfterMillis(5000)))
    return Status::Timeout("loopback accept");
  ASSIGN_OR_RETURN(Fd server, AcceptOne(listener.get(), false));
  if (!server.valid()) return Status::IoError("loopback accept: no connection", 0);
  SetNonBlocking(client.get(), false);
  SetNonBlocking(server.get(), false);
  SetNoDelay(client.get());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> received_bytes{0};
  std::thread receiver([&] {
    std::string buf(64 * 1024, '\0');
    while (true) {
      ssize_t n = ::recv(server.get(), buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      received_bytes.fetch_add(n, std::memory_order_relaxed);
    }
  });
  std::thread sender([&] { SendMessages(client.get(), per_write, stop); });
  Stopwatch watch;
  SleepMillis(static_cast<int64_t>(seconds * 1000));
  int64_t bytes = received_bytes.load();
  double elapsed = watch.ElapsedSeconds();
  stop = true;
  ::shutdown(client.get(), SHUT_RDWR);  // unblocks both threads
  ::shutdown(server.get(), SHUT_RDWR);
  sender.join();
  receiver.join();
  return static_cast<double>(bytes) / static_cast<double>(kMessageBytes) / elapsed;
}

// One mode of the throughput benchmark.
}  // namespace

Result<nlohmann::json> JobThroughput(const BenchOptions& options, Mode mode, const std::string& dir,
                                     int64_t n) {
  ClusterSpec spec;
  spec.mode = mode;
  ASSIGN_OR_RETURN(auto cluster, CreateBenchCluster(dir, spec, options.node_binary));
  RETURN_IF_ERROR(Preload(cluster->config(), 0, n, options.throughput_keys, options.seed));
  runtime::OutputTailer committed_output(cluster->config().output_dir, false);
  Stopwatch startup;
  RETURN_IF_ERROR(StartBenchCluster(*cluster));
  const double startup_s = startup.ElapsedSeconds();
  Stopwatch running;
  // (time, committed records so far) at every poll that saw new output.
  std::vector<std::pair<double, int64_t>> samples;
  int64_t committed = 0;
  // Generous: 20 records/ms would be a fifth of the target.
  Deadline deadline = Deadline::AfterMillis(60'000 + n / 20);
  while (committed < n) {
    if (deadline.Expired()) {
      return Status::Timeout(std::string(runtime::ModeName(mode)) + ": only " +
                             std::to_string(committed) + " of " + std::to_string(n) +
                             " records committed; see " + dir);
    }
    // One poll per 50 ms whatever the mode: reading output as it appears (at-least-once)
    // must not cost the bench more CPU, taken from the job's two cores, than reading it in
    // steps (exactly-once).
    std::vector<runtime::OutputEntry> entries;
    RETURN_IF_ERROR(PollCommitted(committed_output, &entries));
    if (!entries.empty()) {
      committed += static_cast<int64_t>(entries.size());
      samples.emplace_back(running.ElapsedSeconds(), committed);
    }
    if (committed < n) SleepMillis(50);
  }
  const double total_s = running.ElapsedSeconds();
  cluster->StopAll();
  if (!options.keep) (void)RemoveAll(dir);  // a full run's input is ~1 GB per mode and round
  const SteadyRate rate = SteadyRateOf(samples, n, total_s);
  const double steady = rate.records_per_s;
  const double window_s = rate.window_s;
  FL_LOG(Info) << runtime::ModeName(mode) << ": " << static_cast<int64_t>(steady)
               << " records/s steady, " << n << " records in " << total_s << " s";
  return nlohmann::json{
      {"records_per_s", steady},     {"overall_records_per_s", static_cast<double>(n) / total_s},
      {"steady_window_s", window_s}, {"records", n},
      {"total_s", total_s},          {"startup_s", startup_s},
      {"committed", committed}};
}

SteadyRate SteadyRateOf(const std::vector<std::pair<double, int64_t>>& samples, int64_t n,
                        double total_s) {
  // From the first sample at or past 10% of the records to the last one at or below 95%.
  // Exactly-once output is committed in steps, one per checkpoint; a step below 100% was cut by
  // a barrier while input was still being read, so both ends are steps of a busy pipeline, and
  // the final step (input exhausted before its barrier) is left out.
  SteadyRate r;
  r.records_per_s = total_s > 0 ? static_cast<double>(n) / total_s : 0;  // too few samples
  const auto lo = std::find_if(samples.begin(), samples.end(), [&](const auto& s) {
    return static_cast<double>(s.second) >= 0.10 * static_cast<double>(n);
  });
  const auto hi = std::find_if(samples.rbegin(), samples.rend(), [&](const auto& s) {
    return static_cast<double>(s.second) <= 0.95 * static_cast<double>(n);
  });
  if (lo != samples.end() && hi != samples.rend() && hi->first > lo->first) {
    r.window_s = hi->first - lo->first;
    r.records_per_s = static_cast<double>(hi->second - lo->second) / r.window_s;
  }
  return r;
}

Result<nlohmann::json> MeasureLoopback(double seconds) {
  ASSIGN_OR_RETURN(double single, LoopbackRate(seconds, 1));
  ASSIGN_OR_RETURN(double batched, LoopbackRate(seconds, 256));
  return nlohmann::json{{"loopback_reference", single}, {"loopback_batched", batched}};
}

Result<nlohmann::json> MeasureThroughput(const BenchOptions& options) {
  const Mode modes[] = {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce};
  auto key = [](Mode mode) {
    std::string k = runtime::ModeName(mode);
    std::replace(k.begin(), k.end(), '-', '_');
    return k;
  };
  nlohmann::json out = nlohmann::json::object();
  ASSIGN_OR_RETURN(
      auto rates,
      Interleave(
          options.throughput_rounds, std::size(modes), [&](int round, size_t v) -> Result<double> {
            const std::string dir = JoinPath(
                options.work_dir, "throughput-" + key(modes[v]) + "-" + std::to_string(round));
            ASSIGN_OR_RETURN(nlohmann::json run,
                             JobThroughput(options, modes[v], dir, options.throughput_records));
            out["detail"][key(modes[v])].push_back(run);
            return run["records_per_s"].get<double>();
          }));
  for (size_t v = 0; v < std::size(modes); ++v) {
    out["spread"][key(modes[v])] = SpreadJson(rates[v]);
    out[key(modes[v])] = out["spread"][key(modes[v])]["median"];
  }
  out["ratios"]["exactly_once_over_at_least_once"] = RatioJson(rates[2], rates[1]);
  out["ratios"]["at_most_once_over_at_least_once"] = RatioJson(rates[0], rates[1]);
  out["exactly_once_over_at_least_once"] =
      out["ratios"]["exactly_once_over_at_least_once"]["median"];
  out["at_most_once_over_at_least_once"] =
      out["ratios"]["at_most_once_over_at_least_once"]["median"];
  out["detail"]["setup"] = {{"workers", 2},
                            {"checkpoint_interval_ms", 1000},
                            {"state_backend", "memory"},
                            {"records", options.throughput_records},
                            {"keys", options.throughput_keys},
                            {"rounds", options.throughput_rounds}};
  return out;
}

}  // namespace faultline::bench
