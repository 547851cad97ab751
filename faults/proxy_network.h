#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "faults/link_fault.h"
#include "faults/link_network.h"
#include "faults/link_proxy.h"

namespace faultline::faults {

// ProxyNetwork puts one LinkProxy on every ordered pair (from, to) where `from` dials `to`, and
// applies LinkFaults to them (see link_fault.h for what each kind does to which links).
//
// Promises:
//  - DialMap()[from][to] is the address `from` must dial to reach `to` through its proxy.
//  - Begin() applies a fault at once and returns a handle; End(handle) undoes exactly that
//    fault. Overlapping faults compose per proxy direction: a partition stays on while any fault
//    that cut that direction is active; delay, bandwidth and barrier hold use the parameters of
//    the most recent active fault and are lifted when none is left. Corruption is one-shot
//    (the next N frames): End only cancels what is left of it when no other corrupt fault on
//    that direction is active. Reset acts once at Begin; its End does nothing.
//  - A fault that does not validate (unknown kind or param key, unknown node, missing target)
//    is an InvalidArgument and changes nothing.
//  - HealAll() lifts every fault and forgets every handle; the proxies keep running.
// Thread-safe.
class ProxyNetwork : public LinkNetwork {
 public:
  using Links = std::vector<std::pair<std::string, std::string>>;

  // `listen_addresses`: node id -> real host:port; every `to` of `links` needs one.
  static Result<std::unique_ptr<ProxyNetwork>> Start(
      const Links& links, const std::map<std::string, std::string>& listen_addresses);
  ~ProxyNetwork() override;

  std::map<std::string, std::map<std::string, std::string>> DialMap() const;
  const Links& links() const { return links_; }
  // The proxy of link from->to, or nullptr. Owned by the network.
  LinkProxy* proxy(const std::string& from, const std::string& to) const;

  // `fault.all_nodes` empty means every node named by the links. `rng` makes the random choices
  // (bridge and ring orders, jitter, corrupted bytes).
  std::string_view backend() const override { return "proxy"; }
  Status CheckKind(std::string_view kind) const override;
  Result<int> Begin(const LinkFault& fault, Rng rng) override;
  Status End(int handle) override;
  Status HealAll() override;

 private:
  // A proxy direction and one kind of fault on it.
  using LayerKey = std::tuple<std::string, std::string, Direction, LinkAction::Kind>;

  explicit ProxyNetwork(Links links) : links_(std::move(links)) {}
  // Re-applies the layer at `key` to its proxy after it changed; mu_ held.
  void Apply(const LayerKey& key, bool ended);

  const Links links_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<LinkProxy>> proxies_;

  mutable std::mutex mu_;
  int next_handle_ = 1;
  std::map<int, std::vector<LayerKey>> handles_;  // what each active fault touched
  // The active faults' actions per key, by handle (the newest handle wins).
  std::map<LayerKey, std::map<int, LinkAction>> layers_;
};

}  // namespace faultline::faults
