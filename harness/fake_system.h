#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "systems/system.h"

namespace faultline::harness {

// A System of a test's own (tests only): two "server" nodes as real processes (`node_argv`),
// an in-memory pipeline behind the client and the reader. Sends end by id: 1 in 5 unknown
// (half of those delivered), 1 in 7 of the rest fail (never delivered), every other ok and
// delivered, but for the planted bugs below. No failpoints; plain record delivery.
struct FakeOptions {
  std::vector<std::string> node_argv = {"/bin/sleep", "60"};
  uint64_t lost_id = UINT64_MAX;       // an ok send the system never delivers
  uint64_t broken_id = UINT64_MAX;     // the client breaks (a Status error) at this send
  bool never_ready = false;            // Ready() never says yes: only a node's exit ends the wait
  uint64_t retracted_id = UINT64_MAX;  // delivered, then taken back for good
  const char* halted = nullptr;        // the system halts at the quiesce, saying this
  // A planted bug that one fault reveals: while this node is paused, ok sends are never
  // delivered.
  std::string lose_while_paused = {};
};

std::unique_ptr<systems::System> MakeFakeSystem(FakeOptions options);

}  // namespace faultline::harness
