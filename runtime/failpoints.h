#pragma once

namespace faultline::runtime {

// Registers every failpoint site of the runtime (and through base, the storage sites) so that
// they can be listed and armed. Idempotent; call once at process start.
void RegisterRuntimeFailpoints();

}  // namespace faultline::runtime
