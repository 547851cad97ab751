#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline::failpoint {

// Failpoints are named sites in the code where a fault can be injected on demand, after
// fail-rs: a site is armed with a spec `[P%][N*]ACTION`, where ACTION is one of
//   off | crash | error(ERRNO) | sleep(MS) | pause | torn | lie
// e.g. "storage.fsync=error(5)", "sink.commit.before_rename=50%1*crash".
// `error` takes a number or a name (EIO, ENOSPC, ...). `torn` only means something at
// storage.write: half the bytes are written, then the process crashes. `lie` only means
// something at storage.fsync: the call reports success and syncs nothing, as a disk that
// lies about its flushes (faultfs's power loss then takes the data back).
// `crash` kills the process with SIGKILL: no destructors, no flushing, like a power cut for
// everything not yet fsynced. `pause` blocks the calling thread until the site is disarmed
// (at most 10 minutes). An armed site fires on each evaluation, subject to P% and N*. Terms
// chain with `->`, as in fail-rs: each evaluation goes to the first term whose count is not
// spent, so "2*off->1*crash" passes twice and crashes at the third.
//
// Sites must be registered (name + one-line description) before they can be armed, so that a
// typo in a scenario is an error rather than a fault that silently never fires.
// Thread-safe; an unarmed site costs one relaxed atomic load.

struct Site {
  std::string name;
  std::string description;
};

// Registers a site; registering the same name twice keeps the first description.
void RegisterSite(std::string_view name, std::string_view description);
// Every registered site, sorted by name.
std::vector<Site> Sites();

// Arms `name` with `spec`. Unknown site or malformed spec -> InvalidArgument naming it.
Status Arm(std::string_view name, std::string_view spec);
// Ok when `spec` parses; InvalidArgument saying what is wrong otherwise.
Status ValidateSpec(std::string_view spec);
// Arms a `;`-separated list of `name=spec` (the FAULTLINE_FAILPOINTS format).
Status ArmList(std::string_view list);
// Arms from the FAULTLINE_FAILPOINTS environment variable, if set.
Status ArmFromEnv();
void Disarm(std::string_view name);
void DisarmAll();

// What an evaluated site asks the caller to do. crash, sleep and pause are carried out inside
// Eval(); callers only handle kError and kTorn.
struct Hit {
  enum class Kind { kNone, kError, kTorn, kLie };
  Kind kind = Kind::kNone;
  int error_number = 0;
  bool fired() const { return kind != Kind::kNone; }
};
Hit Eval(std::string_view name);

// Evaluates `name`: an `error(e)` becomes Status::IoError("failpoint NAME", e); `torn` is a
// crash at sites other than storage.write. Other actions happen inside.
Status Check(std::string_view name);

// Crashes the process the way the `crash` action does (logs a line, then SIGKILL).
[[noreturn]] void CrashNow(std::string_view name);

}  // namespace faultline::failpoint
