#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "base/status.h"
#include "faults/link_fault.h"
#include "faults/link_network.h"
#include "faults/sockets.h"

namespace faultline::faults {

// Whether the netns backend can run here: Unavailable, with a reason a person can act on, when
// not running as root, when `ip` (iproute2) is not on PATH, or when `ip netns` fails.
Status NetnsSupported();

// The pid of the run that created a namespace called `name` under `family` (names look like
// "<family><pid in hex><letter g-z>-..."), or nullopt when the name is not of that family.
std::optional<int> NetnsOwnerPid(std::string_view name, std::string_view family);

// NetnsNetwork gives every node its own network namespace, as Jepsen does with separate hosts,
// and cuts links by dropping packets at the receiver.
//
// Layout (every name starts with prefix() = family + creator pid + a per-process letter):
//   <prefix>-hub       a namespace holding the bridge <prefix>br and one veth <prefix>v<i> per
//                      node;
//   <prefix>-n<i>      node i's namespace: `lo`, and `eth0` (the veth's peer) with the address
//                      <subnet>.<i+1>/24. No default route: nothing can leave the run's
//                      namespaces, and nothing is created in the caller's namespace.
// A cut from A to B adds, in B's namespace, a policy-routing rule that blackholes packets from
// A's address ahead of local delivery (the `local` table lookup moves from priority 0 to 1000).
// That is the effect of `iptables -A INPUT -s A -j DROP` without needing iptables: TCP segments
// are dropped and retransmitted, so bytes are held, not lost, and flow again on heal.
//
// Promises: Create() first removes namespaces of this family left by runs whose process is
// gone, and removes what it built if it fails half-way. The destructor (or Destroy()) removes
// every namespace of the run, and with them the veths and the bridge. Partition faults compose
// like ProxyNetwork's: a cut stays while any active fault needs it. Only partition faults are
// supported: delays, resets, barrier holds and corruption belong to the proxy backend.
// Thread-safe.
class NetnsNetwork : public LinkNetwork {
 public:
  struct Options {
    std::string family = "flns";     // 2 to 4 lowercase letters
    std::string subnet = "10.77.0";  // a.b.c with a = 10, or a = 172 and b in 16..31
  };

  static Result<std::unique_ptr<NetnsNetwork>> Create(const std::vector<std::string>& nodes,
                                                      Options options);
  static Result<std::unique_ptr<NetnsNetwork>> Create(const std::vector<std::string>& nodes) {
    return Create(nodes, Options());
  }
  // Removes the namespaces of `family` whose creating process no longer exists; returns their
  // names.
  static Result<std::vector<std::string>> RemoveStale(const std::string& family);
  // Validates options and node names without touching the system.
  static Status Validate(const std::vector<std::string>& nodes, const Options& options);

  ~NetnsNetwork() override;
  NetnsNetwork(const NetnsNetwork&) = delete;
  NetnsNetwork& operator=(const NetnsNetwork&) = delete;
  // Removes every namespace of the run now; later calls do nothing.
  Status Destroy();

  const std::string& prefix() const { return prefix_; }
  const std::vector<std::string>& nodes() const { return nodes_; }
  Result<std::string> NamespaceOf(const std::string& node) const;
  Result<std::string> AddressOf(const std::string& node) const;  // "10.77.0.3"
  // `argv` run inside the node's namespace: {"ip", "netns", "exec", <ns>, argv...}.
  Result<std::vector<std::string>> WrapCommand(const std::string& node,
                                               const std::vector<std::string>& argv) const;
  // Sockets that live in a node's namespace, made from the calling process (the harness's
  // control connections, tests).
  Result<Fd> SocketIn(const std::string& node) const;
  Result<Fd> ListenIn(const std::string& node, int port) const;
  Result<Fd> DialFrom(const std::string& node, const std::string& address, Deadline deadline) const;

  // Partition faults (kind "partition" only; all_nodes empty = nodes()). See link_fault.h.
  std::string_view backend() const override { return "netns"; }
  Status CheckKind(std::string_view kind) const override;
  Result<int> Begin(const LinkFault& fault, Rng rng) override;
  Status End(int handle) override;
  Status HealAll() override;
  std::set<Cut> cuts() const;  // in force right now

 private:
  NetnsNetwork(std::vector<std::string> nodes, Options options, std::string prefix);
  Status Build();
  Result<size_t> IndexOf(const std::string& node) const;
  Status ApplyCut(const Cut& cut, bool on);  // mu_ held

  const std::vector<std::string> nodes_;
  const Options options_;
  const std::string prefix_;
  std::vector<std::string> created_;  // namespaces, in creation order

  mutable std::mutex mu_;
  int next_handle_ = 1;
  std::map<int, std::vector<Cut>> handles_;
  std::map<Cut, int> refs_;
};

}  // namespace faultline::faults
