#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "faults/link_network.h"
#include "runtime/config.h"

namespace faultline::faults {
class NetnsNetwork;
class ProxyNetwork;
}  // namespace faultline::faults

namespace faultline::harness {

// ClusterNetwork is how a run's nodes reach each other and how the harness reaches them,
// chosen by the scenario's `cluster.network`:
//   direct  every node listens on loopback and dials the others directly; no link faults;
//   proxy   as direct, but every link (worker -> coordinator, worker -> worker) goes through a
//           faults::ProxyNetwork, which carries out every link fault;
//   netns   every node runs in its own network namespace (faults::NetnsNetwork) and listens on
//           its namespace's address; partitions are cut in the kernel, as Jepsen does. Needs
//           root and `ip netns`: Create() says so when they are missing.
// The harness's own admin calls (status, failpoints) are never cut by a fault: in netns they
// are made from inside the node's namespace.
// Use: Create(), ListenAddress() for every node while building the config, Attach(config),
// then Command(), Admin() and links(). Not thread-safe: driven from the harness's main thread.
class ClusterNetwork {
 public:
  static Result<std::unique_ptr<ClusterNetwork>> Create(const std::string& kind,
                                                        const std::vector<std::string>& nodes);
  // Ok when a network of `kind` can run on this machine; otherwise Unavailable saying why and
  // what to do (netns: root and iproute2).
  static Status Supported(const std::string& kind);
  ~ClusterNetwork();
  ClusterNetwork(const ClusterNetwork&) = delete;
  ClusterNetwork& operator=(const ClusterNetwork&) = delete;

  const std::string& kind() const { return kind_; }
  // A fresh host:port for `node` to listen on.
  Result<std::string> ListenAddress(const std::string& node) const;
  // Records the nodes' listen addresses and, for proxy, starts the proxies and points
  // config->dial at them.
  Status Attach(runtime::ClusterConfig* config);
  // The command line that runs `argv` as `node` (inside its namespace, for netns).
  Result<std::vector<std::string>> Command(const std::string& node,
                                           const std::vector<std::string>& argv) const;
  // One admin request to `node`; the reply, or an error when it is unreachable or says !ok.
  Result<nlohmann::json> Admin(const std::string& node, const nlohmann::json& request,
                               int64_t timeout_ms) const;
  // The backend of link faults; null for direct.
  faults::LinkNetwork* links() const { return links_; }
  Status HealAll();

 private:
  explicit ClusterNetwork(std::string kind);

  std::string kind_;
  std::map<std::string, std::string> listen_;  // node -> host:port
  std::unique_ptr<faults::ProxyNetwork> proxy_;
  std::unique_ptr<faults::NetnsNetwork> netns_;
  faults::LinkNetwork* links_ = nullptr;  // proxy_ or netns_
};

}  // namespace faultline::harness
