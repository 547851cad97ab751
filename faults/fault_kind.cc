#include "faults/fault_kind.h"

namespace faultline::faults {

const std::vector<FaultKindInfo>& FaultKinds() {
  using F = FaultFamily;
  static const std::vector<FaultKindInfo> kinds = {
      {FaultKind::kKill, "kill", F::kProcess, false, "SIGKILL, restarted at the end"},
      {FaultKind::kTerminate, "terminate", F::kProcess, false, "SIGTERM, restarted at the end"},
      {FaultKind::kPause, "pause", F::kProcess, false, "SIGSTOP, SIGCONT at the end"},
      {FaultKind::kRestart, "restart", F::kProcess, false, "a clean stop and start", true},
      {FaultKind::kPartition, "partition", F::kLink, false, "links cut"},
      {FaultKind::kDelay, "delay", F::kLink, false, "links delayed"},
      {FaultKind::kReset, "reset", F::kLink, false, "connections reset"},
      {FaultKind::kBandwidth, "bandwidth", F::kLink, false, "links throttled"},
      {FaultKind::kBarrierHold, "barrier-hold", F::kLink, true, "checkpoint barriers held"},
      {FaultKind::kCorrupt, "corrupt", F::kLink, true, "frames corrupted"},
      {FaultKind::kFailpoint, "failpoint", F::kFailpoint, false, "a named failpoint armed"},
      {FaultKind::kDisk, "disk", F::kFailpoint, false, "storage calls fail"},
      {FaultKind::kPowerLoss, "power-loss", F::kFilesystem, false,
       "SIGKILL, unsynced writes lost, restarted at the end"},
      {FaultKind::kFsError, "fs-error", F::kFilesystem, false, "filesystem calls fail"},
      {FaultKind::kFsSlow, "fs-slow", F::kFilesystem, false, "fsync is slow"},
      {FaultKind::kRescale, "rescale", F::kJob, false,
       "the job stops and restores at another parallelism", true},
  };
  return kinds;
}

const FaultKindInfo& InfoOf(FaultKind kind) {
  for (const FaultKindInfo& k : FaultKinds()) {
    if (k.kind == kind) return k;
  }
  return FaultKinds().front();  // unreachable: every kind has a row
}

std::optional<FaultKind> ParseFaultKind(std::string_view name) {
  for (const FaultKindInfo& k : FaultKinds()) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::vector<std::string> FaultKindNames() {
  std::vector<std::string> names;
  for (const FaultKindInfo& k : FaultKinds()) names.emplace_back(k.name);
  return names;
}

}  // namespace faultline::faults
