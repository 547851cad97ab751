#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::faults {

// Every kind of fault a scenario can name, in one table (docs/faults.md). A new kind is one
// enumerator, one row of FaultKinds() and one case where the compiler asks for it.
enum class FaultKind {
  kKill,         // SIGKILL to the node's process group
  kTerminate,    // SIGTERM
  kPause,        // SIGSTOP until the fault ends, then SIGCONT
  kRestart,      // a clean stop and start
  kPartition,    // links cut (proxy or netns)
  kDelay,        // links delayed (proxy)
  kReset,        // connections reset (proxy)
  kBandwidth,    // links throttled (proxy)
  kBarrierHold,  // checkpoint barriers held on a link (proxy; runtime frames)
  kCorrupt,      // frames corrupted on a link (proxy; runtime frames)
  kFailpoint,    // a named failpoint armed in the node
  kDisk,         // the node's storage calls fail (through its storage failpoints)
  kPowerLoss,    // SIGKILL and the loss of what the node did not fsync (faultfs)
  kFsError,      // filesystem calls fail (faultfs)
  kFsSlow,       // fsync is slow (faultfs)
  kRescale,      // the job restarts at another parallelism (the system's own)
};

// How the nemesis carries a kind out.
enum class FaultFamily {
  kProcess,     // signals to the node's process group
  kLink,        // the network's link backend (LinkNetwork)
  kFailpoint,   // the system's failpoints
  kFilesystem,  // faultfs, mounted over the run's durable directories
  kJob,         // the system reconfigures its job (systems::System::Rescale)
};

struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;  // as scenarios spell it
  FaultFamily family;
  bool needs_runtime_frames;  // parses the built-in runtime's frames on the wire
  std::string_view summary;
  bool one_shot = false;  // nothing to undo at its end: its duration defaults to 0
};

const std::vector<FaultKindInfo>& FaultKinds();
const FaultKindInfo& InfoOf(FaultKind kind);
std::optional<FaultKind> ParseFaultKind(std::string_view name);
std::vector<std::string> FaultKindNames();

}  // namespace faultline::faults
