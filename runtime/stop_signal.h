#pragma once

namespace faultline::runtime {

// SIGTERM and SIGINT set a flag that the main loops of the node processes poll; the process
// then stops its tasks and exits 0. Installed once per process.
void InstallStopHandlers();
bool StopRequested();

}  // namespace faultline::runtime
