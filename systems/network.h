#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/socket.h"
#include "base/status.h"
#include "faults/link_network.h"

namespace faultline::faults {
class NetnsNetwork;
class ProxyNetwork;
}  // namespace faultline::faults

namespace faultline::systems {

// Network is how a system's nodes reach each other and how the harness reaches them, chosen
// by the scenario's `cluster.network`:
//   direct  every node listens on loopback and dials the others directly; no link faults;
//   proxy   as direct, but every declared link goes through a faults::ProxyNetwork proxy,
//           which carries out every link fault;
//   netns   every node runs in its own network namespace (faults::NetnsNetwork) and listens on
//           its namespace's address; partitions are cut in the kernel, as Jepsen does. Needs
//           root and `ip netns`: Create() says so when they are missing.
// The harness's own control connections (Dial) are never cut by a fault: in netns they are
// made from inside the node's namespace.
// Use: Create(); ListenAddress() and AddLink() while the system sets up; Start(); then
// DialAddress(), Command(), Dial() and links(). Not thread-safe: driven from the harness's
// main thread.
class Network {
 public:
  static Result<std::unique_ptr<Network>> Create(const std::string& kind,
                                                 const std::vector<std::string>& nodes);
  // Ok when a network of `kind` can run on this machine; otherwise Unavailable saying why and
  // what to do (netns: root and iproute2).
  static Status Supported(const std::string& kind);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const std::string& kind() const { return kind_; }
  const std::vector<std::string>& nodes() const { return nodes_; }
  // The nodes, then the other ends of the declared links (the harness's clients, "client"):
  // everything a partition cuts apart.
  std::vector<std::string> endpoints() const;
  // A fresh host:port for `node` to listen on (a free loopback port; in netns, the node's
  // address and the next port of its namespace).
  Result<std::string> ListenAddress(const std::string& node);
  // Declares that `from` dials `to`, which listens at `address` (one address per `to`). `from`
  // may be a client of the harness's rather than a node ("client").
  Status AddLink(const std::string& from, const std::string& to, const std::string& address);
  // Starts what carries the declared links (the proxies).
  Status Start();
  // The address `from` dials to reach `to`: its link's proxy, or `to`'s own address.
  Result<std::string> DialAddress(const std::string& from, const std::string& to) const;
  // The command line that runs `argv` as `node` (inside its namespace, for netns).
  Result<std::vector<std::string>> Command(const std::string& node,
                                           const std::vector<std::string>& argv) const;
  // A control connection to `address`, made as `node` would make it (from inside its
  // namespace, for netns), so that no link fault cuts it.
  Result<Fd> Dial(const std::string& node, const std::string& address, Deadline deadline) const;
  // The backend of link faults; null for direct.
  faults::LinkNetwork* links() const { return links_; }
  Status HealAll();

 private:
  Network(std::string kind, std::vector<std::string> nodes);

  std::string kind_;
  std::vector<std::string> nodes_;
  std::map<std::string, int> next_port_;                             // netns: node -> port
  std::map<std::string, std::string> link_targets_;                  // to -> address
  std::vector<std::pair<std::string, std::string>> declared_links_;  // (from, to)
  std::map<std::pair<std::string, std::string>, std::string> dial_;  // (from, to) -> address
  std::unique_ptr<faults::ProxyNetwork> proxy_;
  std::unique_ptr<faults::NetnsNetwork> netns_;
  faults::LinkNetwork* links_ = nullptr;  // proxy_ or netns_
};

}  // namespace faultline::systems
