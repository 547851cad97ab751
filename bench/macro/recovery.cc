// Recovery: a worker SIGKILLed under steady load, in exactly-once with 1 s checkpoints.
#include <algorithm>
#include <atomic>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/logging.h"
#include "base/rng.h"
#include "bench/macro/bench_cluster.h"
#include "bench/macro/macro_bench.h"
#include "runtime/input_log.h"
#include "runtime/sink.h"

namespace faultline::bench {
namespace {

// Appends records at a steady rate to the input log from its own thread, syncing every 10 ms,
// until stopped. next_id() is the id the next record will get: every id >= the value read at
// some instant is appended after that instant. Thread-safe: Stop() and next_id() from any
// thread.
class SteadyProducer {
 public:
  SteadyProducer(const runtime::ClusterConfig& config, int64_t rate, uint64_t seed)
      : config_(config), rate_(rate), seed_(seed) {}
  ~SteadyProducer() { (void)Stop(); }

  Status Start() {
    ASSIGN_OR_RETURN(auto writer,
                     runtime::InputLogWriter::Open(config_.input_dir, config_.job.partitions));
    writer_ = std::make_unique<runtime::InputLogWriter>(std::move(writer));
    thread_ = std::thread([this] { status_ = Loop(); });
    return Status::Ok();
  }
  Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  uint64_t next_id() const { return next_id_.load(); }

 private:
  Status Loop() {
    Rng rng(seed_);
    Stopwatch clock;
    int64_t sent = 0;
    while (!stop_.load()) {
      int64_t due = clock.ElapsedMillis() * rate_ / 1000;
      for (; sent < due; ++sent) {
        runtime::InputRecord r;
        r.id = next_id_.load();
        r.key = "k" + std::to_string(rng.Uniform(1000));
        r.event_time = WallMillis();
        RETURN_IF_ERROR(
            writer_->Append(r, runtime::PartitionOf(r.id, config_.job.partitions)).status());
        next_id_.store(r.id + 1);
      }
      RETURN_IF_ERROR(writer_->Sync());
      SleepMillis(10);
    }
    return Status::Ok();
  }

  const runtime::ClusterConfig& config_;
  int64_t rate_;
  uint64_t seed_;
  std::unique_ptr<runtime::InputLogWriter> writer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_id_{0};
  Status status_;
};

// Polls committed output until `until` says stop or the deadline passes; `until` sees each
// new entry. Returns whether it stopped because of `until`.
template <typename Pred>
Result<bool> TailUntil(runtime::OutputTailer& output, Deadline deadline, Pred until) {
  while (!deadline.Expired()) {
    std::vector<runtime::OutputEntry> entries;
    RETURN_IF_ERROR(PollCommitted(output, &entries));
    for (const auto& e : entries) {
      if (until(e)) return true;
    }
    if (entries.empty()) SleepMillis(5);
  }
  return false;
}

// The first event named `name` of `node` at or after `after_ns`, or -1.
int64_t FirstEventAfter(const std::vector<systems::NodeEvent>& events, const std::string& node,
                        const std::string& name, int64_t after_ns) {
  int64_t best = -1;
  for (const auto& e : events) {
    if (e.fields.value("node", "") != node || e.fields.value("event", "") != name ||
        e.mono_ns < after_ns)
      continue;
    if (best < 0 || e.mono_ns < best) best = e.mono_ns;
  }
  return best;
}

}  // namespace

Result<nlohmann::json> MeasureRecovery(const BenchOptions& options) {
  ClusterSpec spec;
  spec.mode = runtime::Mode::kExactlyOnce;
  ASSIGN_OR_RETURN(auto cluster, CreateBenchCluster(JoinPath(options.work_dir, "recovery"), spec,
                                                    options.node_binary));
  runtime::OutputTailer committed(cluster->config().output_dir, false);
  RETURN_IF_ERROR(StartBenchCluster(*cluster));
  SteadyProducer producer(cluster->config(), options.recovery_rate, options.seed);
  RETURN_IF_ERROR(producer.Start());
  // Warm up: output flowing and a checkpoint or two completed.
  ASSIGN_OR_RETURN(bool flowing, TailUntil(committed, Deadline::AfterMillis(30'000),
                                           [](const runtime::OutputEntry&) { return true; }));
  if (!flowing) return Status::Timeout("recovery: no committed output within 30 s");
  SleepMillis(1500);

  struct Kill {
    int64_t kill_ns = 0;
    int64_t output_ns = -1;
  };
  std::vector<Kill> kills;
  for (int k = 0; k < options.recovery_kills; ++k) {
    // Drain what is already committed, so that the next poll's times are fresh.
    std::vector<runtime::OutputEntry> drain;
    RETURN_IF_ERROR(PollCommitted(committed, &drain));
    const uint64_t first_new_id = producer.next_id();
    Kill kill;
    kill.kill_ns = MonotonicNanos();
    const std::string victim = "worker-" + std::to_string(1 + k % 2);
    RETURN_IF_ERROR(cluster->Kill(victim));
    RETURN_IF_ERROR(cluster->Start(victim));  // as a supervisor would, at once
    ASSIGN_OR_RETURN(bool seen, TailUntil(committed, Deadline::AfterMillis(60'000),
                                          [&](const runtime::OutputEntry& e) {
                                            return e.record.id >= first_new_id;
                                          }));
    if (!seen) return Status::Timeout("recovery: no new committed output within 60 s of a kill");
    kill.output_ns = MonotonicNanos();
    kills.push_back(kill);
    FL_LOG(Info) << "recovery: kill " << k + 1 << ": new output after "
                 << (kill.output_ns - kill.kill_ns) / 1'000'000 << " ms";
    SleepMillis(2000);  // steady again before the next kill
  }
  // A silent failure: a worker that stops answering without closing its connections (SIGSTOP,
  // as a hung process or a dead machine looks) is found by the heartbeat timeout only.
  const int64_t pause_ns = MonotonicNanos();
  ASSIGN_OR_RETURN(systems::NodeProcess * paused, cluster->node("worker-1"));
  RETURN_IF_ERROR(paused->Pause());
  int64_t silent_lost_ns = -1;
  PollUntil(
      [&] {
        silent_lost_ns =
            FirstEventAfter(cluster->ReadEvents(), "coordinator", "worker-lost", pause_ns);
        return silent_lost_ns >= 0;
      },
      Deadline::AfterMillis(30'000), 20);
  RETURN_IF_ERROR(paused->Resume());
  RETURN_IF_ERROR(producer.Stop());
  cluster->StopAll();
  const double silent_ms =
      silent_lost_ns < 0 ? -1 : static_cast<double>(silent_lost_ns - pause_ns) / 1e6;
  FL_LOG(Info) << "recovery: a paused worker was declared lost after " << silent_ms << " ms";

  std::vector<systems::NodeEvent> events = cluster->ReadEvents();
  std::vector<double> detection, running, output, checkpoint;
  nlohmann::json samples = nlohmann::json::array();
  for (const Kill& k : kills) {
    auto ms = [&](int64_t ns) { return ns < 0 ? -1.0 : static_cast<double>(ns - k.kill_ns) / 1e6; };
    double lost = ms(FirstEventAfter(events, "coordinator", "worker-lost", k.kill_ns));
    double run = ms(FirstEventAfter(events, "coordinator", "job-running", k.kill_ns));
    int64_t run_ns = FirstEventAfter(events, "coordinator", "job-running", k.kill_ns);
    double chk = run_ns < 0
                     ? -1
                     : ms(FirstEventAfter(events, "coordinator", "checkpoint-completed", run_ns));
    double out = ms(k.output_ns);
    if (lost >= 0) detection.push_back(lost);
    if (run >= 0) running.push_back(run);
    if (chk >= 0) checkpoint.push_back(chk);
    output.push_back(out);
    samples.push_back({{"detection_ms", lost},
                       {"job_running_ms", run},
                       {"first_checkpoint_ms", chk},
                       {"kill_to_output_ms", out}});
  }
  if (detection.empty()) return Status::Internal("recovery: the coordinator logged no worker-lost");
  return nlohmann::json{{"detection_ms", Median(detection)},
                        {"job_running_ms", Median(running)},
                        {"first_checkpoint_ms", Median(checkpoint)},
                        {"kill_to_output_ms", Median(output)},
                        {"kills", kills.size()},
                        {"detection_silent_ms", silent_ms},
                        {"load_records_per_s", options.recovery_rate},
                        {"heartbeat_timeout_ms", cluster->config().heartbeat_timeout_ms},
                        {"restart_delay_ms", cluster->config().job.restart.delay_ms},
                        {"samples", samples}};
}

}  // namespace faultline::bench
