#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "systems/event_list.h"
#include "systems/idle_quiescence.h"
#include "systems/node_set.h"
#include "systems/system.h"

namespace faultline::systems {

// A scenario's settings for the mosquitto system (`"system": {"kind": "mosquitto", ...}`; see
// docs/systems/mosquitto.md for what each does and which scenario uses what).
struct MosquittoOptions {
  std::string binary = "mosquitto";  // on PATH, or a path
  bool persistence = true;
  int64_t autosave_interval = 1800;  // seconds, or changes with autosave_on_changes
  bool autosave_on_changes = false;
  int64_t max_queued_messages = 1000;  // per client; QoS 1/2 beyond it are dropped
  int64_t max_inflight_messages = 20;  // per client, broker side
  int publisher_max_inflight = 20;     // unacknowledged publishes the client keeps in flight
  int64_t ack_timeout_ms = 2000;       // a publish not acknowledged by then is `unknown`
  int64_t quiet_ms = 3000;             // quiescent after this long without a delivery
  std::string topic = "faultline/records";
};

// Parses the `system` object's members (all but `kind`); errors name `source` and the path.
Result<MosquittoOptions> ParseMosquittoOptions(const nlohmann::json& params,
                                               const std::string& source);

// MosquittoSystem is a real mosquitto broker behind the seam (docs/systems/mosquitto.md): one
// node, `broker`, started as `mosquitto -c FILE` with a config the run writes (a listener on
// loopback, anonymous access, persistence in the run's data directory), and two clients in
// the harness, `publisher` and `subscriber` (libmosquitto, persistent sessions), whose links
// go through the network so that link faults cut them. The mode picks the QoS:
// at-most-once 0, at-least-once 1, exactly-once 2. A send is ok when libmosquitto reports it
// published (QoS 0: written to the socket; 1: PUBACK; 2: PUBCOMP), fail when it was certainly
// not sent, unknown when no acknowledgement came within ack_timeout_ms. Driven from the
// harness's main thread; its Client and Reader each run on a thread of their own.
class MosquittoSystem : public System {
 public:
  explicit MosquittoSystem(MosquittoOptions options);
  ~MosquittoSystem() override;

  std::string_view kind() const override { return "mosquitto"; }
  std::vector<NodeSpec> Nodes() const override { return {{"broker", "broker"}}; }
  std::vector<NodeSpec> Clients() const override {
    return {{"publisher", "client"}, {"subscriber", "client"}};
  }
  std::string job() const override { return "delivery"; }
  Capabilities capabilities() const override { return {}; }

  Status Setup(const SystemContext& ctx) override;
  NodeSet& nodes() override { return nodes_; }
  Result<bool> Ready() override;
  Result<std::unique_ptr<Client>> OpenClient() override;
  Result<std::unique_ptr<Reader>> OpenReader(bool uncommitted) override;
  bool Quiescent(const DeliveryProgress& progress) override;
  std::vector<NodeEvent> Events() override { return events_.Take(); }
  std::vector<std::string> DataPaths() const override { return {data_dir_}; }
  nlohmann::json MetaFields() const override;

 private:
  std::string Config(const std::string& listen) const;

  MosquittoOptions options_;
  int qos_ = 2;
  std::string run_id_;  // makes the client ids of this run its own
  std::string listen_;
  std::string publisher_address_;
  std::string subscriber_address_;
  std::string data_dir_;
  NodeSet nodes_;
  EventList events_;
  IdleQuiescence quiescence_;
};

}  // namespace faultline::systems
