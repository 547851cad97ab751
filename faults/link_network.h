#pragma once

#include <string_view>

#include "base/rng.h"
#include "base/status.h"
#include "faults/link_fault.h"

namespace faultline::faults {

// LinkNetwork is what the nemesis needs of a network backend: it begins and ends link faults
// between the run's nodes. Implementations: ProxyNetwork (every kind, no privileges) and
// NetnsNetwork (partitions only, in real network namespaces; needs root).
//
// Promises of every implementation: Begin() applies a fault at once and returns a handle;
// End(handle) undoes exactly that fault, and overlapping faults compose; HealAll() lifts every
// fault. A fault of a kind the backend does not carry out is refused by CheckKind() before the
// run starts. Thread-safe.
class LinkNetwork {
 public:
  virtual ~LinkNetwork() = default;

  // "proxy" or "netns", for messages.
  virtual std::string_view backend() const = 0;
  // Ok when this backend can carry out faults of `kind`; otherwise InvalidArgument saying
  // which backend can.
  virtual Status CheckKind(std::string_view kind) const = 0;
  virtual Result<int> Begin(const LinkFault& fault, Rng rng) = 0;
  virtual Status End(int handle) = 0;
  virtual Status HealAll() = 0;
};

}  // namespace faultline::faults
