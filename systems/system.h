#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mode.h"
#include "base/rng.h"
#include "base/send_status.h"
#include "base/status.h"

namespace faultline::systems {

class Network;
class NodeSet;

// How one send ended, as the history records it (docs/history-format.md, `status`):
//   kOk       the system acknowledged it: it must be delivered (unless the mode allows loss);
//   kFail     certainly not applied: it must never be delivered, and is never counted lost;
//   kUnknown  the outcome is not known (timed out, connection lost mid-send): it may or may
//             not be delivered, and neither is an anomaly (Jepsen's :info).
using ::faultline::SendStatus;
using ::faultline::SendStatusName;

// One record the generator offers: `value` is what a count adds; `event_time` is in ms.
struct Record {
  uint64_t id = 0;
  std::string key;
  int64_t event_time = 0;
  int64_t value = 1;
};

// The outcome of sending one record. `partition` and `offset` say where the system put it, for
// systems that have them (the order checker groups by partition); -1 otherwise.
struct SendOutcome {
  SendStatus status = SendStatus::kUnknown;
  int64_t ack_mono_ns = 0;  // CLOCK_MONOTONIC when the outcome became known
  int32_t partition = -1;
  int64_t offset = -1;
  std::string error;  // why, for kFail and kUnknown
};

// Client is the generator's connection to the system (Jepsen's client). Send() sends a batch
// in order and returns one outcome per record once each is known, or kUnknown for those still
// open at the client's own deadline; it never retries (a retry is the system's business, and
// a send that may have been applied is kUnknown). A Status error means the harness itself
// failed (its disk, its memory), not the system: the run stops. Driven by one thread.
class Client {
 public:
  virtual ~Client() = default;
  virtual Result<std::vector<SendOutcome>> Send(std::span<const Record> records) = 0;
  // Called once after the last Send(): whatever tells the system that input is complete
  // (the built-in runtime's final watermarks, so that the last windows close).
  virtual Status Finish() { return Status::Ok(); }
};

// One record of delivered output, as the observer sees it: a keyed record (`id`, `key`, and
// the per-key `count` for systems that keep counts) or a window result (`key`, `window_start`,
// `window_end`, `count`). `committed` is false for output seen in an uncommitted view.
// `source` says where it was read (a segment file, a stream), for people.
// A delivery the observer records, or (kRetraction) the system taking back committed
// deliveries: of those delivered so far from `source`, all but the first `kept`.
struct Delivery {
  enum class Kind { kRecord, kWindow, kRetraction };
  Kind kind = Kind::kRecord;
  int64_t kept = 0;  // kRetraction only
  uint64_t id = 0;
  std::string key;
  std::optional<int64_t> count;
  int64_t window_start = 0;
  int64_t window_end = 0;
  bool committed = true;
  std::string source;
};

// Reader is the observer's view of delivered output. Each Poll() returns what appeared since
// the previous one, every delivery once (a duplicate the system delivers twice is returned
// twice), and a retraction when committed output it returned is no longer there (before any
// delivery from the same source that came after it). Driven by one thread.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual Status Poll(std::vector<Delivery>* out) = 0;
};

// A node of the system: its id (a fault target) and role ("coordinator", "worker", "server").
struct NodeSpec {
  std::string id;
  std::string role;
};

// What the observer has seen so far, for a system deciding whether it is quiescent.
struct DeliveryProgress {
  int64_t acknowledged = 0;            // sends that ended ok
  int64_t acknowledged_delivered = 0;  // of those, how many have a committed delivery
  int64_t committed_seen = 0;
};

// One event a node logged, on the harness's clock (CLOCK_MONOTONIC ns). `fields` holds the
// event's own members ("node", "event", ...) and becomes a `runtime` line of the history.
struct NodeEvent {
  int64_t mono_ns = 0;
  nlohmann::json fields;
};

// What a system can have done to it beyond process and partition faults; the nemesis refuses,
// before the run starts, a fault that needs what the system lacks.
struct Capabilities {
  bool failpoints = false;      // named failpoints armed at run time (`failpoint`, `disk`)
  bool runtime_frames = false;  // its links carry the built-in runtime's frames (`barrier-hold`,
                                // `corrupt` parse them)
  bool rescale = false;         // its job restores at another parallelism (`rescale`)
};

// What a run hands its system at setup. Everything the system writes goes under `run_dir`.
struct SystemContext {
  std::string run_dir;
  Mode mode = Mode::kExactlyOnce;
  Network* network = nullptr;  // listen addresses, links, commands, control connections
  std::string source;          // the scenario file, for error messages
};

// System is what a scenario tests (docs/design.md, "The system seam"; Jepsen's db + client):
// it names its nodes and their roles, sets them up as real processes in nodes(), says when it
// is ready, gives the generator a Client and the observer a Reader, decides when it is
// quiescent, and maps the three delivery modes onto what it offers (docs/systems/). The
// harness never reaches into a system's files; it asks. Driven from the harness's main thread
// (the thread that forks the nodes); Client and Reader run on threads of their own.
class System {
 public:
  virtual ~System() = default;

  virtual std::string_view kind() const = 0;
  // Every node, in start order (the harness stops them in reverse). Known before Setup(), so
  // that the network can be built around them.
  virtual std::vector<NodeSpec> Nodes() const = 0;
  // The harness-side ends of its links (its clients: "publisher", "subscriber"), role
  // "client": link faults may target them, process faults may not.
  virtual std::vector<NodeSpec> Clients() const { return {}; }
  // What the checkers judge: "count" (per-key running counts), "window-count" or "delivery"
  // (records delivered, no per-key state).
  virtual std::string job() const = 0;
  virtual Capabilities capabilities() const = 0;

  // Picks listen addresses and declares links on ctx.network, writes the nodes' configuration,
  // and adds every node's process to nodes() (not started).
  virtual Status Setup(const SystemContext& ctx) = 0;
  virtual NodeSet& nodes() = 0;
  // Whether the started system serves (polled by the harness, with a deadline). An error is
  // a harness error, not "not yet".
  virtual Result<bool> Ready() = 0;

  virtual Result<std::unique_ptr<Client>> OpenClient() = 0;
  // `uncommitted`: also deliver output not yet committed (Delivery::committed false).
  virtual Result<std::unique_ptr<Reader>> OpenReader(bool uncommitted) = 0;
  // Polled after the heal: true once every acknowledged send that can still arrive has.
  virtual bool Quiescent(const DeliveryProgress& progress) = 0;
  // Asked after each Quiescent() poll (it may answer from that poll's findings): why the system has
  // stopped for good (a job that refuses to restore, say), or nullopt while it may still deliver. A
  // halted run cannot be judged.
  virtual std::optional<std::string> Halted() { return std::nullopt; }

  // A few words for the live progress line ("chk 12").
  virtual std::string StatusLine() { return ""; }
  // Arms (`spec` "off": disarms) failpoint `name` on `node`; Unimplemented without failpoints.
  virtual Status ArmFailpoint(const std::string& node, const std::string& name,
                              const std::string& spec);
  // `rescale` faults (docs/faults.md): CheckRescale() says before the run whether `params`
  // can be carried out on node `target`; Rescale() stops the job and restores it at the
  // parallelism `params` names, or at one drawn from `rng` where it names none, and returns
  // what it rescaled from and to, for the fault's history line. Unimplemented without the
  // capability.
  virtual Status CheckRescale(const std::string& target, const nlohmann::json& params) const;
  virtual Result<nlohmann::json> Rescale(const std::string& target, const nlohmann::json& params,
                                         Rng rng);
  // Every event the nodes logged, for the history.
  virtual std::vector<NodeEvent> Events() { return {}; }
  // The directories (relative to the run's) whose durability matters: with faultfs they are
  // mounted over before Setup(), so that a power loss can take back what was not synced.
  virtual std::vector<std::string> DurableDirs() const { return {"data"}; }
  // Bulky data a valid run need not keep (the run's logs and history always stay).
  virtual std::vector<std::string> DataPaths() const { return {}; }
  // Members for the history's meta line ("workers": 2, ...).
  virtual nlohmann::json MetaFields() const { return nlohmann::json::object(); }
};

}  // namespace faultline::systems
